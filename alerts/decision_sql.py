"""The SQL texts of alerts/decision.py: the statements of one rule's window counting, and the
fragments they are assembled from (alerts.decision.statement puts them together and says
how; its module docstring describes the statement step by step).

Only the rule's own integers (window lengths, offsets) are formatted in, by `statement`:
window frames and offsets take constants. Every value is a query parameter.
"""

from __future__ import annotations

ABSENT_STATUSES = ("authorised_absence", "unauthorised_absence")
LATE_STATUS = "late"

CALENDAR = """
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
OBSERVATIONS_OF_STUDENT = """CROSS JOIN LATERAL (
        SELECT o.id, o.student_id, o.observed_on, o.recorded_by_id FROM schools_observation o
        WHERE o.student_id = st.id AND o.observed_on BETWEEN %(start)s AND %(end)s
          AND o.withdrawn_at IS NULL
        OFFSET 0
    ) o"""
OBSERVATIONS_JOINED = """JOIN schools_observation o ON o.student_id = st.id
        AND o.observed_on BETWEEN %(start)s AND %(end)s AND o.withdrawn_at IS NULL"""

REGISTER_OF_STUDENT = """CROSS JOIN LATERAL (
        SELECT a.id, a.student_id, a.date, a.status FROM schools_attendancerecord a
        WHERE a.student_id = st.id AND a.date BETWEEN %(start)s AND %(end)s
          AND ({statuses})
        OFFSET 0
    ) a"""
REGISTER_JOINED = """JOIN schools_attendancerecord a ON a.student_id = st.id
        AND a.date BETWEEN %(start)s AND %(end)s AND ({statuses})"""

OBSERVED = """
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
REGISTERED = """
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
DISTINCT_CTES = """
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
CONSECUTIVE = """
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


EVENT_STATUSES = "a.status = ANY(%(register_statuses)s)"
ATTENDANCE_STATUSES = "a.status = 'not_required' OR a.status = ANY(%(absent_statuses)s)"
