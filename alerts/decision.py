"""The window counting of one rule, in one SQL statement, where the rows are.

alerts/counting.py says what a rule means, as pure functions of plain rows; this module
answers the same question in PostgreSQL, for every student of a school at once, and is what
the evaluation and the rule preview run. tests/alerts/test_decision_properties.py checks on
generated data that both give the same answer, end index by end index.

The statement, for one rule over the school days `days` (index 0 is the oldest):

1. the rows the rule counts, one per (student, school day): observation signs of the rule
   (withdrawn observations, rows of a student dated after they left or of a student marked
   inactive without a leaving date, and rows on days that are not school days left out),
   the register's late marks and absences as LATE and ABSENCE when the rule uses the
   register; for an attendance rule, the absences and "not required" marks;
2. a dense grid of school days for each student that has any such row (a student with none
   cannot fire), with the per-day counts;
3. window functions over each student's days, in integers: the sum over the last
   `window_days` days is the window ending on that day; among the windows that hold, the one
   ending (c - 1) window lengths before (lag, in the order of ends of the same remainder
   modulo the window length) tells whether the c consecutive windows of the rule all hold;
   a sweep over the days of each sign and each observer gives the distinct signs and
   observers of the span.

For the daily evaluation's question (the last day alone) the windows are fixed blocks and a
GROUP BY per block does, without the grid. Nothing here reads a row into Python that the
answer does not need: the result is the (student, end) of each firing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence

from django.db import connection, transaction

from schools.signs import Sign

from . import counting
from .decision_sql import (
    ABSENT_STATUSES,
    ATTENDANCE_ONE_DAY_SQL,
    ATTENDANCE_SQL,
    ATTENDANCE_STATUSES,
    CALENDAR,
    CONSECUTIVE,
    DISTINCT_CTES,
    EVENT_STATUSES,
    LATE_STATUS,
    OBSERVATIONS_JOINED,
    OBSERVATIONS_OF_STUDENT,
    OBSERVED,
    REGISTER_JOINED,
    REGISTER_OF_STUDENT,
    REGISTERED,
    SIGN_ONE_DAY_SQL,
    SIGN_SQL,
)

# Up to this many students, a windowed statement's day grid (a school year of days for each)
# is sorted within PostgreSQL's default work_mem: under 10,000 rows.
FEW_STUDENTS = 50


def _register_statuses(signs: Collection[str]) -> list[str]:
    statuses = []
    if Sign.LATE.value in signs:
        statuses.append(LATE_STATUS)
    if Sign.ABSENCE.value in signs:
        statuses.extend(ABSENT_STATUSES)
    return statuses


def statement(
    spec: counting.Spec, *, use_register: bool, restricted: bool, one_day: bool = False
) -> str:
    """The SQL of `spec` (its integers are part of the text: window frames and offsets take
    constants); `one_day`: the decision on the last day only."""
    w, c = int(spec.window_days), int(spec.consecutive)
    span = w * c
    student_filter = "AND st.id = ANY(%(students)s)" if restricted else ""
    calendar = CALENDAR.format(student_filter=student_filter)
    fires = f"lag(ix, {c - 1}) OVER back = ix - {(c - 1) * w}" if c > 1 else "true"
    consecutive = CONSECUTIVE.format(fires=fires, w=w)
    register = REGISTER_OF_STUDENT if one_day else REGISTER_JOINED
    if spec.kind == counting.ATTENDANCE_RATE:
        attendance = register.format(statuses=ATTENDANCE_STATUSES)
        if one_day:
            return ATTENDANCE_ONE_DAY_SQL.format(
                calendar=calendar, register=attendance, w=w, c=c, span=span
            )
        return ATTENDANCE_SQL.format(
            calendar=calendar,
            register=attendance,
            consecutive=consecutive,
            w=w,
            w_back=w - 1,
        )
    events = OBSERVED.format(
        observations=OBSERVATIONS_OF_STUDENT if one_day else OBSERVATIONS_JOINED
    )
    if use_register and _register_statuses(spec.signs):
        events += "\n    UNION ALL" + REGISTERED.format(
            register=register.format(statuses=EVENT_STATUSES)
        )
    if one_day:
        return SIGN_ONE_DAY_SQL.format(
            calendar=calendar,
            events=events,
            block_count="count(DISTINCT ix)"
            if spec.count_unit == counting.COUNT_DAYS
            else "count(DISTINCT ref)",
            w=w,
            c=c,
            span=span,
        )
    # Up to one sign or observer, the span's distinct count is implied by the events every
    # holding window has; past one, it is counted.
    distinct = spec.min_signs > 1 or spec.min_observers > 1
    conditions = []
    if spec.min_signs > 1:
        conditions.append("AND signs >= %(min_signs)s")
    if spec.min_observers > 1:
        conditions.append("AND observers >= %(min_observers)s")
    return SIGN_SQL.format(
        calendar=calendar,
        events=events,
        day_count="1" if spec.count_unit == counting.COUNT_DAYS else "count(DISTINCT ref)",
        distinct_ctes=DISTINCT_CTES.format(span_back=span - 1) if distinct else "",
        distinct_columns=(
            ", coalesce(dl.sign_delta, 0)::int AS sign_delta, "
            "coalesce(dl.observer_delta, 0)::int AS observer_delta"
            if distinct
            else ""
        ),
        distinct_join=(
            "LEFT JOIN deltas dl ON dl.student_id = s.student_id AND dl.ix = d.ix"
            if distinct
            else ""
        ),
        distinct_running=(
            ", sum(sign_delta) OVER run AS signs, sum(observer_delta) OVER run AS observers"
            if distinct
            else ""
        ),
        distinct_condition=" ".join(conditions),
        consecutive=consecutive,
        w=w,
        w_back=w - 1,
    )


def firing(
    *,
    school_id: int,
    spec: counting.Spec,
    use_register: bool,
    days: Sequence[dt.date],
    first_end: int,
    students: Collection[int] | None = None,
    not_before: Mapping[int, dt.date] | None = None,
) -> dict[int, list[int]]:
    """Per student, each end index from `first_end` to the last of `days` at which the rule
    fires (as counting.rule_hits). `not_before` maps a student to a date on or before which
    their rows do not count. One query; for the last day alone (`first_end` the last index)
    a plain GROUP BY per window, without window functions. How long a pattern has persisted
    is measured afterwards, for the students who matched only (alerts.engine.evaluate)."""
    span = spec.span
    last = len(days) - 1
    first_end = max(first_end, span - 1)
    if not days or first_end > last or (students is not None and not students):
        return {}
    if spec.kind == counting.SIGN_PATTERN and not spec.signs:
        return {}
    if spec.kind == counting.ATTENDANCE_RATE and spec.threshold is None:
        return {}
    lo = max(first_end - span + 1, 0)
    cutoffs = dict(not_before or {})
    signs = sorted(spec.signs)
    threshold = spec.threshold
    params = {
        "days": list(days),
        "lo": lo,
        "start": days[lo],
        "end": days[last],
        "first_end": first_end,
        "end_ix": last,
        "school": school_id,
        "students": list(students) if students is not None else None,
        "cut_students": list(cutoffs),
        "cut_dates": list(cutoffs.values()),
        "signs": signs,
        "register_statuses": _register_statuses(signs),
        "absent_statuses": list(ABSENT_STATUSES),
        "min_events": spec.min_events,
        "min_signs": spec.min_signs,
        "min_observers": spec.min_observers,
        # Exact: 9 of 10 sessions is 90%, which is not below 90%.
        "threshold_num": threshold.numerator if threshold is not None else None,
        "threshold_den": threshold.denominator if threshold is not None else None,
    }
    one_day = first_end == last
    sql = statement(
        spec, use_register=use_register, restricted=students is not None, one_day=one_day
    )
    result: dict[int, list[int]] = defaultdict(list)
    # The windowed statement over a school's students sets its own work_mem, for its
    # transaction only; a few students' grid (the case page asks for one) fits the default,
    # and saves the three round trips.
    large = not one_day and (students is None or len(students) > FEW_STUDENTS)
    scope = transaction.atomic() if large else contextlib.nullcontext()
    with scope, connection.cursor() as cursor:
        if large:
            # The day grid of a school year is sorted in memory, not on disk (until the end
            # of this transaction).
            cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)  # type: ignore[arg-type]  # the stubs know no arrays
        for student_id, end in cursor.fetchall():
            result[student_id].append(end)
    return dict(result)
