"""A rule's preview: whom it would flag, and since when, on past data; writes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from schools.calendar import CalendarRead
from schools.models import Student

from .. import firing
from ..models import WarningRule

if TYPE_CHECKING:
    from core.models import User


@dataclass(frozen=True)
class PreviewStudent:
    student_id: int
    code: str
    flagged_on_date: bool
    first_fired_on: dt.date
    episodes: tuple[dt.date, ...]
    school_days_fired: int


@dataclass(frozen=True)
class RulePreview:
    on_date: dt.date
    first_day: dt.date | None
    school_days: int
    students: list[PreviewStudent]
    requested_school_days: int = 0
    # The rule as previewed (alerts.backtest.rule_as_measured): what was measured.
    rule: dict[str, Any] | None = None

    @property
    def days_read(self) -> dict[str, Any]:
        """Which span of school days was read, and whether it is all that was asked for."""
        complete = self.school_days >= self.requested_school_days
        note = ""
        if not complete:
            note = (
                f"The school's calendar holds only {self.school_days} school days up to "
                f"{self.on_date.isoformat()}, fewer than the {self.requested_school_days} asked "
                f"for: the preview reads from "
                f"{self.first_day.isoformat() if self.first_day else 'nothing'}."
            )
        return {
            "first_day": self.first_day,
            "last_day": self.on_date,
            "school_days": self.school_days,
            "requested_school_days": self.requested_school_days,
            "complete": complete,
            "note": note,
        }

    @property
    def flagged_on_date(self) -> list[PreviewStudent]:
        return [s for s in self.students if s.flagged_on_date]

    @property
    def flagged_count(self) -> int:
        return len(self.flagged_on_date)


def rule_preview(
    *,
    rule: WarningRule,
    on_date: dt.date | None = None,
    history_school_days: int = 190,
    students: Collection[int] | None = None,
    calendar: CalendarRead | None = None,
) -> RulePreview:
    """Which students `rule` would flag on `on_date` (default today at the school), and on
    which past school dates each would first have fired, over the last
    `history_school_days` school days (about a school year). Works for any rule: enabled or
    not, saved or an unsaved edited instance; writes nothing. One pass over the rows: a fixed
    number of queries, not one evaluation per day. A date after today at the school is
    refused (ValidationError); the answer says which span of school days was read and echoes
    the rule as previewed. `students`: only those students are looked at (the case page asks
    for its one student); `calendar`: the school's calendar when the caller has read it."""
    from ..backtest import rule_as_measured

    school = rule.school
    today = school.today()
    if on_date is not None and on_date > today:
        raise ValidationError(
            {
                "on_date": _(
                    "%(date)s is in the future at the school; a preview looks back from a date "
                    "up to %(today)s."
                )
                % {"date": on_date.isoformat(), "today": today.isoformat()}
            },
            code="future_date",
        )
    on_date = on_date or today
    days, rows = firing.preview(
        school=school,
        rule=rule,
        on_date=on_date,
        history_school_days=history_school_days,
        students=students,
        calendar=calendar,
    )
    # No ordering: the model's default joins the school to sort by its code.
    codes = dict(Student.objects.filter(pk__in=list(rows)).order_by().values_list("pk", "code"))
    flagged = sorted(
        (
            PreviewStudent(
                student_id=sid,
                code=codes[sid],
                flagged_on_date=row.flagged_on_date,
                first_fired_on=row.first_fired_on,
                episodes=row.episodes,
                school_days_fired=row.school_days_fired,
            )
            for sid, row in rows.items()
        ),
        key=lambda s: (not s.flagged_on_date, s.first_fired_on, s.code),
    )
    return RulePreview(
        on_date=on_date,
        first_day=days[0] if days else None,
        school_days=len(days),
        students=flagged,
        requested_school_days=history_school_days,
        rule=rule_as_measured(rule),
    )


def rule_preview_record_read(*, rule: WarningRule, preview: RulePreview, by: User) -> int:
    """The preview's results (which students, when) were shown to `by`: one audit row per
    student in them, or one row when there were none."""
    from core.audit import audit_record_codes

    return audit_record_codes(
        actor=by,
        action="rule.preview",
        obj=rule,
        school_id=rule.school_id,
        codes=[s.code for s in preview.students],
        detail={"on": preview.on_date.isoformat(), "flagged": preview.flagged_count},
    )
