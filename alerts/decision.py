"""The window counting of one rule, in one SQL statement, where the rows are.

alerts/counting.py says what a rule means, as pure functions of plain rows; this module
answers the same question in PostgreSQL, for every student of a school at once, and is what
the evaluation and the rule preview run. tests/alerts/test_decision_properties.py checks on
generated data that both give the same answer, end index by end index.

The statement, for one rule over the school days `days` (index 0 is the oldest):

1. the rows the rule counts, one per (student, school day): observation signs of the rule
   (withdrawn observations, inactive students and rows on days that are not school days left
   out), the register's late marks and absences as LATE and ABSENCE when the rule uses the
   register; for an attendance rule, the absences and "not required" marks;
2. a dense grid of school days for each student that has any such row (a student with none
   cannot fire), with the per-day counts;
3. window functions over each student's days: the sum over the last `window_days` days is the
   window ending on that day; a running count, partitioned by the day index modulo the window
   length, of back-to-back windows that hold is how long the pattern has persisted; a bit-or
   of the signs over the rule's span and a sweep over each observer's days give the distinct
   signs and observers of the span.

Nothing here reads a row into Python that the answer does not need: the result is the
(student, end, run start) of each firing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence

from django.db import connection

from schools.signs import Sign

from . import counting

ABSENT_STATUSES = ("authorised_absence", "unauthorised_absence")
LATE_STATUS = "late"
NOT_REQUIRED_STATUS = "not_required"

_CALENDAR = """
days AS (
    SELECT d::date AS day, (i - 1)::int AS ix
    FROM unnest(%(days)s::date[]) WITH ORDINALITY AS t(d, i)
    WHERE i - 1 >= %(lo)s
),
cut AS (
    SELECT * FROM unnest(%(cut_students)s::int[], %(cut_dates)s::date[]) AS c(student_id, day)
),
students AS (
    SELECT st.id, cut.day AS cut
    FROM schools_student st LEFT JOIN cut ON cut.student_id = st.id
    WHERE st.school_id = %(school)s AND st.is_active {student_filter}
)"""

_OBSERVED = """
    SELECT o.student_id, d.ix, s.sign, o.recorded_by_id AS observer, o.id AS ref
    FROM students st
    JOIN schools_observation o ON o.student_id = st.id
    JOIN days d ON d.day = o.observed_on
    JOIN schools_observationsign s ON s.observation_id = o.id
    WHERE o.withdrawn_at IS NULL AND o.observed_on BETWEEN %(start)s AND %(end)s
      AND (st.cut IS NULL OR o.observed_on > st.cut)
      AND s.sign = ANY(%(signs)s)"""

# Register marks as events: attendance ids are negated so that they never collide with an
# observation id, and the register is one observer (-1; staff ids are positive).
_REGISTERED = """
    SELECT a.student_id, d.ix,
           CASE WHEN a.status = 'late' THEN 'LATE' ELSE 'ABSENCE' END AS sign,
           -1 AS observer, -a.id AS ref
    FROM students st
    JOIN schools_attendancerecord a ON a.student_id = st.id
    JOIN days d ON d.day = a.date
    WHERE a.date BETWEEN %(start)s AND %(end)s AND (st.cut IS NULL OR a.date > st.cut)
      AND a.status = ANY(%(register_statuses)s)"""

SIGN_SQL = """
WITH {calendar},
events AS ({events}),
per_day AS (
    SELECT student_id, ix, {day_count} AS n,
           bit_or(1 << (array_position(%(signs)s, sign) - 1)) AS mask
    FROM events GROUP BY student_id, ix
),
{observer_ctes}
grid AS (
    SELECT s.student_id, d.ix, coalesce(p.n, 0) AS n, coalesce(p.mask, 0) AS mask
           {observer_column}
    FROM (SELECT DISTINCT student_id FROM per_day) s
    CROSS JOIN days d
    LEFT JOIN per_day p ON p.student_id = s.student_id AND p.ix = d.ix
    {observer_join}
),
windows AS (
    SELECT student_id, ix,
           ix >= %(lo)s + {w} - 1 AND sum(n) OVER win >= %(min_events)s AS holds,
           bit_or(mask) OVER span AS span_mask
           {observer_window}
    FROM grid
    WINDOW win AS (PARTITION BY student_id ORDER BY ix ROWS BETWEEN {w_back} PRECEDING
                   AND CURRENT ROW),
           span AS (PARTITION BY student_id ORDER BY ix ROWS BETWEEN {span_back} PRECEDING
                    AND CURRENT ROW)
),
{persistence}
SELECT student_id, ix, ix - streak * {w} + 1
FROM runs
WHERE holds AND streak >= {c} AND ix >= %(first_end)s
  AND length(replace((span_mask::bit(32))::text, '0', '')) >= %(min_signs)s
  {observer_condition}
ORDER BY student_id, ix
"""

# The distinct observers of the span ending on each day: an observer seen on day d counts for
# the spans ending on d .. d + span - 1; from each of their days to the next one (or that
# span) is one interval, the intervals of one observer do not overlap, and a running sum of
# +1 at each interval's start and -1 after its end is the number of observers on each day.
_OBSERVER_CTES = """
seen AS (SELECT DISTINCT student_id, observer, ix FROM events),
covers AS (
    SELECT student_id, ix AS from_ix,
           least(ix + {span_back},
                 coalesce(lead(ix) OVER (PARTITION BY student_id, observer ORDER BY ix) - 1,
                          ix + {span_back})) AS to_ix
    FROM seen
),
observer_delta AS (
    SELECT student_id, ix, sum(delta) AS delta FROM (
        SELECT student_id, from_ix AS ix, 1 AS delta FROM covers
        UNION ALL
        SELECT student_id, to_ix + 1, -1 FROM covers
    ) deltas GROUP BY student_id, ix
),"""

ATTENDANCE_SQL = """
WITH {calendar},
per_day AS (
    SELECT a.student_id, d.ix,
           count(*) FILTER (WHERE a.status = 'not_required') AS not_required,
           count(*) FILTER (WHERE a.status = ANY(%(absent_statuses)s)) AS absent
    FROM students st
    JOIN schools_attendancerecord a ON a.student_id = st.id
    JOIN days d ON d.day = a.date
    WHERE a.date BETWEEN %(start)s AND %(end)s AND (st.cut IS NULL OR a.date > st.cut)
      AND (a.status = 'not_required' OR a.status = ANY(%(absent_statuses)s))
    GROUP BY a.student_id, d.ix
),
grid AS (
    SELECT s.student_id, d.ix, coalesce(p.not_required, 0) AS not_required,
           coalesce(p.absent, 0) AS absent
    FROM (SELECT DISTINCT student_id FROM per_day WHERE absent > 0) s
    CROSS JOIN days d
    LEFT JOIN per_day p ON p.student_id = s.student_id AND p.ix = d.ix
),
sums AS (
    SELECT student_id, ix, 2 * {w} - sum(not_required) OVER win AS possible,
           sum(absent) OVER win AS absent
    FROM grid
    WINDOW win AS (PARTITION BY student_id ORDER BY ix ROWS BETWEEN {w_back} PRECEDING
                   AND CURRENT ROW)
),
windows AS (
    SELECT student_id, ix,
           ix >= %(lo)s + {w} - 1 AND possible > 0
           AND (possible - absent) * 100 * %(threshold_den)s < %(threshold_num)s * possible AS holds
    FROM sums
),
{persistence}
SELECT student_id, ix, ix - streak * {w} + 1
FROM runs
WHERE holds AND streak >= {c} AND ix >= %(first_end)s
ORDER BY student_id, ix
"""

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
SELECT student_id, %(end_ix)s, %(end_ix)s - {span} + 1
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
    JOIN schools_attendancerecord a ON a.student_id = st.id
    JOIN days d ON d.day = a.date
    WHERE a.date BETWEEN %(start)s AND %(end)s AND (st.cut IS NULL OR a.date > st.cut)
      AND (a.status = 'not_required' OR a.status = ANY(%(absent_statuses)s))
    GROUP BY a.student_id, (%(end_ix)s - d.ix) / {w}
)
SELECT student_id, %(end_ix)s, %(end_ix)s - {span} + 1
FROM blocks
WHERE possible > 0 AND (possible - absent) * 100 * %(threshold_den)s < %(threshold_num)s * possible
GROUP BY student_id HAVING count(*) = {c}
ORDER BY student_id
"""

# How long the pattern has persisted at each end: windows ending on days of the same residue
# modulo the window length are back to back; a break is a window that does not hold, and the
# holding windows since the last break are the run.
_PERSISTENCE = """
breaks AS (
    SELECT *, count(*) FILTER (WHERE NOT holds) OVER (
        PARTITION BY student_id, ix %% {w} ORDER BY ix ROWS UNBOUNDED PRECEDING) AS run
    FROM windows
),
runs AS (
    SELECT *, count(*) FILTER (WHERE holds) OVER (
        PARTITION BY student_id, ix %% {w}, run ORDER BY ix ROWS UNBOUNDED PRECEDING) AS streak
    FROM breaks
)"""


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
    """The SQL of `spec` (its integers are part of the text: window frames take constants);
    `one_day`: the decision on the last day only."""
    w, c = int(spec.window_days), int(spec.consecutive)
    span = w * c
    student_filter = "AND st.id = ANY(%(students)s)" if restricted else ""
    calendar = _CALENDAR.format(student_filter=student_filter)
    persistence = _PERSISTENCE.format(w=w)
    if spec.kind == counting.ATTENDANCE_RATE:
        if one_day:
            return ATTENDANCE_ONE_DAY_SQL.format(calendar=calendar, w=w, c=c, span=span)
        return ATTENDANCE_SQL.format(
            calendar=calendar, persistence=persistence, w=w, w_back=w - 1, c=c
        )
    events = _OBSERVED
    if use_register and _register_statuses(spec.signs):
        events += "\n    UNION ALL" + _REGISTERED
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
    # Past one observer, the span's distinct observers are counted; one is implied by the
    # events every holding window has.
    observers = spec.min_observers > 1
    return SIGN_SQL.format(
        calendar=calendar,
        events=events,
        day_count="1" if spec.count_unit == counting.COUNT_DAYS else "count(DISTINCT ref)",
        observer_ctes=_OBSERVER_CTES.format(span_back=span - 1) if observers else "",
        observer_column=", coalesce(od.delta, 0) AS observer_delta" if observers else "",
        observer_join=(
            "LEFT JOIN observer_delta od ON od.student_id = s.student_id AND od.ix = d.ix"
            if observers
            else ""
        ),
        observer_window=(
            ", sum(observer_delta) OVER (PARTITION BY student_id ORDER BY ix "
            "ROWS UNBOUNDED PRECEDING) AS observers"
            if observers
            else ""
        ),
        observer_condition="AND observers >= %(min_observers)s" if observers else "",
        persistence=persistence,
        w=w,
        w_back=w - 1,
        span_back=span - 1,
        c=c,
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
) -> dict[int, list[tuple[int, int]]]:
    """Per student, the (end, run start) of each end index from `first_end` to the last of
    `days` at which the rule fires: the end index, and the first index of the longest run of
    back-to-back windows, ending there, that each meet the per-window condition (as
    counting.Hit.run_start, measured back as far as `days` go). `not_before` maps a student
    to a date on or before which their rows do not count. One query; for the last day alone
    (`first_end` the last index) a plain GROUP BY per window, without window functions."""
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
    sql = statement(
        spec,
        use_register=use_register,
        restricted=students is not None,
        one_day=first_end == last,
    )
    result: dict[int, list[tuple[int, int]]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for student_id, end, run_start in cursor.fetchall():
            result[student_id].append((end, run_start))
    return dict(result)
