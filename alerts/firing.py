"""Where a rule fires, day by day, over a span of school days: the rule preview and the rule
lab's backtest read this, and the nightly evaluation (alerts/engine.py) asks it which students
a rule holds for on the evaluation day.

On PostgreSQL the SQL decision (alerts/decision.py) answers, one statement per rule (a
composite: per component); on the embedded SQLite default the pure counting of
alerts/counting.py gives the same answer over the rows read into Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from django.db import connection

from schools.calendar import CalendarRead
from schools.models import School

from . import composite, counting, decision, engine
from .models import RuleKind, WarningRule
from .records import events_for, load_rows, school_days_until


def rule_firing(
    school: School,
    rule: WarningRule,
    days: Sequence[dt.date],
    *,
    first_end: int,
    not_before: Mapping[int, dt.date] | None = None,
    students: Collection[int] | None = None,
) -> dict[int, list[int]]:
    """decision.firing on PostgreSQL; elsewhere (the embedded SQLite run of `make run`) the
    same answer from the pure counting over the rows read into Python."""
    spec = engine.spec_of(rule)
    if connection.vendor == "postgresql":
        return decision.firing(
            school_id=school.pk,
            spec=spec,
            use_register=rule.use_register,
            days=days,
            first_end=first_end,
            not_before=not_before,
            students=students,
        )
    first_end = max(first_end, spec.span - 1)
    lo = max(first_end - spec.span + 1, 0)
    rows = load_rows(
        school,
        days,
        signs=rule.signs or (),
        register=rule.kind == RuleKind.ATTENDANCE_RATE or rule.use_register,
        last_days=len(days) - lo,
        students=students,
    ).without_before(not_before or {})
    # Day indices from `lo`, as the SQL reads them.
    hits = counting.rule_hits(
        spec,
        events=[
            counting.SignEvent(e.student, e.day - lo, e.sign, e.observer, e.ref)
            for e in events_for(rule, rows)
        ],
        marks=[
            counting.Mark(m.student, m.day - lo, m.absent, m.not_required, m.ref)
            for m in rows.marks
        ],
        ends=range(first_end - lo, len(days) - lo),
    )
    return {sid: [h.end + lo for h in student_hits] for sid, student_hits in hits.items()}


@dataclass(frozen=True)
class PreviewRow:
    student_id: int
    flagged_on_date: bool
    first_fired_on: dt.date
    # The first school day of each episode of firing (fired, where it had not the day before).
    episodes: tuple[dt.date, ...]
    school_days_fired: int


def rule_span(rule: WarningRule, parts: Sequence[WarningRule] = ()) -> int:
    """School days a rule needs before it can fire (a composite: its longest component)."""
    if rule.kind == RuleKind.COMPOSITE:
        return max((p.span_days for p in parts), default=0)
    return rule.span_days


def firing_days(
    *,
    school: School,
    rule: WarningRule,
    days: Sequence[dt.date],
    first_end: int = 0,
    students: Collection[int] | None = None,
) -> dict[int, list[int]]:
    """Per student (of `students` only, when given), every index of `days` from `first_end`
    on at which `rule` (saved or not, enabled or not; a composite too) fires, in order: one
    SQL decision per rule (a composite: per component), a fixed number of queries whatever
    the number of students or days."""
    parts = composite.components_of(rule) if rule.kind == RuleKind.COMPOSITE else [rule]
    fired = [
        rule_firing(school, part, days, first_end=first_end, students=students) for part in parts
    ]
    if rule.kind == RuleKind.COMPOSITE:
        return composite.fired_together(fired, needed=rule.needed_components)
    return fired[0]


def preview(
    *,
    school: School,
    rule: WarningRule,
    on_date: dt.date,
    history_school_days: int = 190,
    students: Collection[int] | None = None,
    calendar: CalendarRead | None = None,
) -> tuple[list[dt.date], dict[int, PreviewRow]]:
    """Where `rule` (saved or not, enabled or not) fires over the last `history_school_days`
    school days up to `on_date`, per student (of `students` only, when given: a student's
    answer does not depend on the others'): one pass over the rows, not one evaluation per
    day. Returns the school days looked at and a row per student that fired."""
    parts = composite.components_of(rule) if rule.kind == RuleKind.COMPOSITE else ()
    days = school_days_until(
        school, on_date, history_school_days + rule_span(rule, parts), calendar=calendar
    )
    first_end = max(len(days) - history_school_days, 0)
    fired_by_student = firing_days(
        school=school, rule=rule, days=days, first_end=first_end, students=students
    )
    result: dict[int, PreviewRow] = {}
    last = len(days) - 1
    for student_id, fired in fired_by_student.items():
        result[student_id] = PreviewRow(
            student_id=student_id,
            flagged_on_date=fired[-1] == last,
            first_fired_on=days[fired[0]],
            episodes=tuple(days[i] for i in counting.episode_starts(fired)),
            school_days_fired=len(fired),
        )
    return days[first_end:], result
