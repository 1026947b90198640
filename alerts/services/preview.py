"""A rule's preview: whom it would flag, and since when, on past data; writes nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from schools.models import Student

from .. import engine
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

    @property
    def flagged_on_date(self) -> list[PreviewStudent]:
        return [s for s in self.students if s.flagged_on_date]

    @property
    def flagged_count(self) -> int:
        return len(self.flagged_on_date)


def rule_preview(
    *, rule: WarningRule, on_date: dt.date | None = None, history_school_days: int = 190
) -> RulePreview:
    """Which students `rule` would flag on `on_date` (default today at the school), and on
    which past school dates each would first have fired, over the last
    `history_school_days` school days (about a school year). Works for any rule: enabled or
    not, saved or an unsaved edited instance; writes nothing. One pass over the rows: a fixed
    number of queries, not one evaluation per day."""
    school = rule.school
    on_date = on_date or school.today()
    days, rows = engine.preview(
        school=school, rule=rule, on_date=on_date, history_school_days=history_school_days
    )
    codes = dict(Student.objects.filter(pk__in=list(rows)).values_list("pk", "code"))
    students = sorted(
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
        students=students,
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
