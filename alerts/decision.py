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

ABSENT_STATUSES = ("authorised_absence", "unauthorised_absence")
LATE_STATUS = "late"
NOT_REQUIRED_STATUS = "not_required"

_CALENDAR = """
days AS MATERIALIZED (
    SELECT d::date AS day, (i - 1)::int AS ix
    FROM unnest(%(days)s::date[]) WITH ORDINALITY AS t(d, i)
    WHERE i - 1 >= %(lo)s
),
cut AS (
    SELECT * FROM unnest(%(cut_students)s::int[], %(cut_dates)s::date[]) AS c(student_id, day)
),
students AS (
    SELECT st.id, cut.day AS cut, st.left_on
    FROM schools_student st LEFT JOIN cut ON cut.student_id = st.id
    WHERE st.school_id = %(school)s AND (st.is_active OR st.left_on IS NOT NULL)
      {student_filter}
)"""

# How the statement reaches a school's rows. For the daily decision (a few weeks of rows),
# through its students, one index probe each (the indexes lead with the student): never a scan
# of the whole district's rows of those dates, which the planner chose once the district's
# register outgrew the shared buffers (532 ms against 58 ms for one school of twenty). OFFSET 0
# keeps PostgreSQL from flattening the subquery back into a plain join, and the calendar is
# materialised so that it is hashed once, not once a student. Over the long spans of a
# preview or a backtest the plain join is the planner's to choose: there the probes cost a
# third more than its scan of a school's year.
_OBSERVATIONS_OF_STUDENT = """CROSS JOIN LATERAL (
        SELECT o.id, o.student_id, o.observed_on, o.recorded_by_id FROM schools_observation o
        WHERE o.student_id = st.id AND o.observed_on BETWEEN %(start)s AND %(end)s
          AND o.withdrawn_at IS NULL
        OFFSET 0
    ) o"""
_OBSERVATIONS_JOINED = """JOIN schools_observation o ON o.student_id = st.id
        AND o.observed_on BETWEEN %(start)s AND %(end)s AND o.withdrawn_at IS NULL"""

_REGISTER_OF_STUDENT = """CROSS JOIN LATERAL (
        SELECT a.id, a.student_id, a.date, a.status FROM schools_attendancerecord a
        WHERE a.student_id = st.id AND a.date BETWEEN %(start)s AND %(end)s
          AND ({statuses})
        OFFSET 0
    ) a"""
_REGISTER_JOINED = """JOIN schools_attendancerecord a ON a.student_id = st.id
        AND a.date BETWEEN %(start)s AND %(end)s AND ({statuses})"""

_OBSERVED = """
    SELECT o.student_id, d.ix, s.sign, o.recorded_by_id AS observer, o.id AS ref
    FROM students st
    {observations}
    JOIN days d ON d.day = o.observed_on
    JOIN schools_observationsign s ON s.observation_id = o.id
    WHERE (st.cut IS NULL OR o.observed_on > st.cut)
      AND (st.left_on IS NULL OR o.observed_on <= st.left_on)
      AND s.sign = ANY(%(signs)s)"""

# Register marks as events: attendance ids are negated so that they never collide with an
# observation id, and the register is one observer (-1; staff ids are positive).
_REGISTERED = """
    SELECT a.student_id, d.ix,
           CASE WHEN a.status = 'late' THEN 'LATE' ELSE 'ABSENCE' END AS sign,
           -1 AS observer, -a.id AS ref
    FROM students st
    {register}
    JOIN days d ON d.day = a.date
    WHERE (st.cut IS NULL OR a.date > st.cut) AND (st.left_on IS NULL OR a.date <= st.left_on)"""

SIGN_SQL = """
WITH {calendar},
events AS ({events}),
per_day AS (
    SELECT student_id, ix, ({day_count})::int AS n FROM events GROUP BY student_id, ix
),
{distinct_ctes}
grid AS (
    SELECT s.student_id, d.ix, coalesce(p.n, 0)::int AS n {distinct_columns}
    FROM (SELECT DISTINCT student_id FROM per_day) s
    CROSS JOIN days d
    LEFT JOIN per_day p ON p.student_id = s.student_id AND p.ix = d.ix
    {distinct_join}
),
windows AS (
    SELECT student_id, ix,
           ix >= %(lo)s + {w} - 1 AND (sum(n) OVER win)::int >= %(min_events)s AS holds
           {distinct_running}
    FROM grid
    WINDOW win AS (PARTITION BY student_id ORDER BY ix ROWS BETWEEN {w_back} PRECEDING
                   AND CURRENT ROW),
           run AS (PARTITION BY student_id ORDER BY ix ROWS UNBOUNDED PRECEDING)
),
{consecutive}
SELECT student_id, ix FROM fired
WHERE fires AND ix >= %(first_end)s {distinct_condition}
ORDER BY student_id, ix
"""

# The distinct signs and observers of the span ending on each day, as running sums: a value
# (a sign, an observer) seen on day d counts for the spans ending on d .. d + span - 1; from
# each of its days to the next one (or that span) is one interval, the intervals of one
# value do not overlap, and +1 at each interval's start and -1 after its end, summed from the
# first day, is the number of distinct values on each day.
_DISTINCT_CTES = """
seen AS (
    SELECT DISTINCT student_id, 's' AS kind, sign AS value, ix FROM events
    UNION ALL
    SELECT DISTINCT student_id, 'o', observer::text, ix FROM events
),
covers AS (
    SELECT student_id, kind, ix AS from_ix,
           least(ix + {span_back},
                 coalesce(lead(ix) OVER (PARTITION BY student_id, kind, value ORDER BY ix) - 1,
                          ix + {span_back})) AS to_ix
    FROM seen
),
deltas AS (
    SELECT student_id, ix,
           sum(delta) FILTER (WHERE kind = 's') AS sign_delta,
           sum(delta) FILTER (WHERE kind = 'o') AS observer_delta
    FROM (
        SELECT student_id, kind, from_ix AS ix, 1 AS delta FROM covers
        UNION ALL
        SELECT student_id, kind, to_ix + 1, -1 FROM covers
    ) moves GROUP BY student_id, ix
),"""

ATTENDANCE_SQL = """
WITH {calendar},
per_day AS (
    SELECT a.student_id, d.ix,
           (count(*) FILTER (WHERE a.status = 'not_required'))::int AS not_required,
           (count(*) FILTER (WHERE a.status = ANY(%(absent_statuses)s)))::int AS absent
    FROM students st
    {register}
    JOIN days d ON d.day = a.date
    WHERE (st.cut IS NULL OR a.date > st.cut) AND (st.left_on IS NULL OR a.date <= st.left_on)
    GROUP BY a.student_id, d.ix
),
grid AS (
    SELECT s.student_id, d.ix, coalesce(p.not_required, 0)::int AS not_required,
           coalesce(p.absent, 0)::int AS absent
    FROM (SELECT DISTINCT student_id FROM per_day WHERE absent > 0) s
    CROSS JOIN days d
    LEFT JOIN per_day p ON p.student_id = s.student_id AND p.ix = d.ix
),
sums AS (
    SELECT student_id, ix, 2 * {w} - (sum(not_required) OVER win)::int AS possible,
           (sum(absent) OVER win)::int AS absent
    FROM grid
    WINDOW win AS (PARTITION BY student_id ORDER BY ix ROWS BETWEEN {w_back} PRECEDING
                   AND CURRENT ROW)
),
windows AS (
    SELECT student_id, ix,
           ix >= %(lo)s + {w} - 1 AND possible > 0
           AND (possible - absent) * 100 * %(threshold_den)s < %(threshold_num)s * possible
           AS holds
    FROM sums
),
{consecutive}
SELECT student_id, ix FROM fired
WHERE fires AND ix >= %(first_end)s
ORDER BY student_id, ix
"""

# Persistence: the rule fires at an end when the window ending there holds and so do the
# windows ending one, two, ... window lengths before it (back to back). Only the windows that
# hold are looked at: among them, those whose end is the same number of days modulo the
# window length line up back to back, and the window c - 1 places before in that order ends
# exactly (c - 1) window lengths earlier when, and only when, every window between holds.
_CONSECUTIVE = """
fired AS (
    SELECT *, {fires} AS fires
    FROM windows
    WHERE holds
    WINDOW back AS (PARTITION BY student_id, ix %% {w} ORDER BY ix)
)"""


# The decision on one day alone (what the daily evaluation asks): the windows are the blocks
# of `window_days` days counted back from it, so a GROUP BY per block does, and the rule fires
# when each of its `consecutive_windows` blocks holds (a block without rows cannot hold).
SIGN_ONE_DAY_SQL = """
WITH {calendar},
events AS ({events}),
blocks AS (
    SELECT student_id, (%(end_ix)s - ix) / {w} AS k, {block_count} AS n
    FROM events GROUP BY student_id, (%(end_ix)s - ix) / {w}
),
spans AS (
    SELECT student_id FROM events GROUP BY student_id
    HAVING count(DISTINCT sign) >= %(min_signs)s AND count(DISTINCT observer) >= %(min_observers)s
)
SELECT student_id, %(end_ix)s
FROM blocks JOIN spans USING (student_id)
WHERE n >= %(min_events)s
GROUP BY student_id HAVING count(*) = {c}
ORDER BY student_id
"""

ATTENDANCE_ONE_DAY_SQL = """
WITH {calendar},
blocks AS (
    SELECT a.student_id, (%(end_ix)s - d.ix) / {w} AS k,
           2 * {w} - count(*) FILTER (WHERE a.status = 'not_required') AS possible,
           count(*) FILTER (WHERE a.status = ANY(%(absent_statuses)s)) AS absent
    FROM students st
    {register}
    JOIN days d ON d.day = a.date
    WHERE (st.cut IS NULL OR a.date > st.cut) AND (st.left_on IS NULL OR a.date <= st.left_on)
    GROUP BY a.student_id, (%(end_ix)s - d.ix) / {w}
)
SELECT student_id, %(end_ix)s
FROM blocks
WHERE possible > 0 AND (possible - absent) * 100 * %(threshold_den)s < %(threshold_num)s * possible
GROUP BY student_id HAVING count(*) = {c}
ORDER BY student_id
"""


_EVENT_STATUSES = "a.status = ANY(%(register_statuses)s)"
_ATTENDANCE_STATUSES = "a.status = 'not_required' OR a.status = ANY(%(absent_statuses)s)"


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
    calendar = _CALENDAR.format(student_filter=student_filter)
    fires = f"lag(ix, {c - 1}) OVER back = ix - {(c - 1) * w}" if c > 1 else "true"
    consecutive = _CONSECUTIVE.format(fires=fires, w=w)
    register = _REGISTER_OF_STUDENT if one_day else _REGISTER_JOINED
    if spec.kind == counting.ATTENDANCE_RATE:
        attendance = register.format(statuses=_ATTENDANCE_STATUSES)
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
    events = _OBSERVED.format(
        observations=_OBSERVATIONS_OF_STUDENT if one_day else _OBSERVATIONS_JOINED
    )
    if use_register and _register_statuses(spec.signs):
        events += "\n    UNION ALL" + _REGISTERED.format(
            register=register.format(statuses=_EVENT_STATUSES)
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
        distinct_ctes=_DISTINCT_CTES.format(span_back=span - 1) if distinct else "",
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
    # The windowed statement sets its own work_mem, for its transaction only.
    scope = contextlib.nullcontext() if one_day else transaction.atomic()
    with scope, connection.cursor() as cursor:
        if not one_day:
            # The day grid of a school year is sorted in memory, not on disk (until the end
            # of this transaction).
            cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)  # type: ignore[arg-type]  # the stubs know no arrays
        for student_id, end in cursor.fetchall():
            result[student_id].append(end)
    return dict(result)
