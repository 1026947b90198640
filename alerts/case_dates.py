"""The dates a case page shows, each from the computation it names, and the school weeks each
evidence window covers, so a reader can check a window's count against the calendar.

A case carries three different dates, and they are different things:

- *conditions first held*: the first school day on which the rule, as it stands today,
  holds for the student over the last school year of records. This is the rule preview's
  "would first have fired" (alerts.firing.preview, the computation the preview is made of),
  so the case page and the preview cannot disagree;
- *pattern visible since*: the first school day of the earliest window in the unbroken run
  of windows that each met the rule's per-window condition, measured by the evaluation
  (`Case.persisted_since`); it is earlier than the first firing, since a rule needs
  several windows in a row before it fires;
- *case opened on*: the day the evaluation (or a person) opened the case; later than the
  conditions when the records came in late or the rule was switched on later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from schools.calendar import CalendarRead, school_days_between
from schools.models import ABSENT_STATUSES, AttendanceStatus, School, Student

from . import firing
from .models import Case, WarningRule
from .selectors import case_why_flagged


@dataclass(frozen=True)
class RuleDates:
    """When the rule's conditions held for one student, as the rule preview computes it."""

    first_held_on: dt.date | None
    # The first day of the latest run of firing, when the conditions held more than once.
    latest_run_from: dt.date | None


def rule_dates_for_student(
    *,
    rule: WarningRule,
    student: Student,
    on_date: dt.date | None = None,
    calendar: CalendarRead | None = None,
) -> RuleDates:
    """When `rule` would first have fired for `student` (and when its latest run of firing
    began), read from the rule preview itself up to `on_date` (default today at the
    school): the same answer the preview gives. Writes nothing."""
    # The preview's own computation for the one student, without what only the preview's
    # page needs (its students' codes, a read of their own: the case page knows its student).
    _days, rows = firing.preview(
        school=rule.school,
        rule=rule,
        on_date=on_date or rule.school.today(),
        students=[student.pk],
        calendar=calendar,
    )
    row = rows.get(student.pk)
    if row is None:
        return RuleDates(first_held_on=None, latest_run_from=None)
    latest = row.episodes[-1] if len(row.episodes) > 1 else None
    return RuleDates(first_held_on=row.first_fired_on, latest_run_from=latest)


def _day(day: dt.date) -> str:
    return formats.date_format(day, _("D j M"))


def _weekday(day: dt.date) -> str:
    return formats.date_format(day, "D")


def week_parts(days: Sequence[dt.date]) -> list[dict[str, Any]]:
    """`days` (school days, in order) as the school weeks they fall in: per Monday-based
    week, its Monday and the school days of the window in it ("Wed-Fri")."""
    weeks: dict[dt.date, list[dt.date]] = {}
    for day in days:
        weeks.setdefault(day - dt.timedelta(days=day.weekday()), []).append(day)
    parts = []
    for monday, in_week in weeks.items():
        first, last = in_week[0], in_week[-1]
        span = _weekday(first) if first == last else f"{_weekday(first)}\N{EN DASH}{_weekday(last)}"
        parts.append(
            {
                "monday": monday,
                "days": len(in_week),
                "label": _("week of %(monday)s (%(days)s)")
                % {"monday": _day(monday), "days": span},
            }
        )
    return parts


def window_tally(items: Iterable[dict[str, Any]]) -> str:
    """What a window's evidence adds up to, in words a reader can count on the list."""
    items = list(items)
    observations = [i for i in items if i["kind"] == "observation" and not i.get("withdrawn")]
    marks = [i for i in items if i["kind"] == "attendance"]
    parts = []
    if observations:
        days = len({i["date"] for i in observations})
        parts.append(
            ngettext("%(n)d observation", "%(n)d observations", len(observations))
            % {"n": len(observations)}
            + " "
            + ngettext("on %(d)d day", "on %(d)d days", days) % {"d": days}
        )
    absent = sum(1 for i in marks if i["status_code"] in ABSENT_STATUSES)
    late = sum(1 for i in marks if i["status_code"] == AttendanceStatus.LATE)
    if absent:
        parts.append(
            ngettext("%(n)d session absent", "%(n)d sessions absent", absent) % {"n": absent}
        )
    if late:
        parts.append(ngettext("%(n)d session late", "%(n)d sessions late", late) % {"n": late})
    return _(", ").join(parts)


def windows_as_weeks(
    *, school: School, rules: list[dict[str, Any]], calendar: CalendarRead | None = None
) -> None:
    """Give each evidence window of `rules` (alerts.selectors.case_why_flagged) the school
    weeks it covers, its number of school days and what its evidence adds up to:
    "week of Mon 9 Nov (Wed-Fri) + week of Mon 16 Nov (Mon-Tue): 5 school days, 3 sessions
    absent". The windows themselves are the rule's rolling windows (docs/RULES.md); this
    only describes them. Two queries (the calendar, unless `calendar` covers the windows),
    however many windows."""
    windows = [w for rule in rules for w in rule["windows"]]
    if not windows:
        return
    start = min(w["start"] for w in windows)
    end = max(w["end"] for w in windows)
    every_day = school_days_between(school, start, end, calendar=calendar)
    for w in windows:
        days = [d for d in every_day if w["start"] <= d <= w["end"]]
        w["weeks"] = week_parts(days)
        w["school_days"] = len(days)
        w["tally"] = window_tally(w["items"])


def case_rule_dates(
    *, case_student: Student, rules: list[dict[str, Any]], calendar: CalendarRead | None = None
) -> None:
    """Give each fired rule of `rules` (alerts.selectors.case_why_flagged) the dates its
    conditions held for the student, from the rule preview (rule_dates_for_student)."""
    for rule in rules:
        current = rule.get("rule")
        dates = (
            rule_dates_for_student(rule=current, student=case_student, calendar=calendar)
            if current is not None
            else RuleDates(first_held_on=None, latest_run_from=None)
        )
        rule["first_held_on"] = dates.first_held_on
        rule["latest_run_from"] = dates.latest_run_from


def case_why_flagged_dated(
    *, case: Case, calendar: CalendarRead | None = None
) -> list[dict[str, Any]]:
    """alerts.selectors.case_why_flagged, each rule with the dates its conditions held and
    each window with the school weeks it covers: what the case page and the chronology show.
    `calendar`: the school's calendar, when the caller has read it."""
    rules = case_why_flagged(case=case)
    case_rule_dates(case_student=case.student, rules=rules, calendar=calendar)
    windows_as_weeks(school=case.student.school, rules=rules, calendar=calendar)
    return rules
