"""The default rules decided in one SQL statement per school: the yardstick for the engine.

`decide(school_id, on_date)` answers what alerts.engine.evaluate decides -- which active
student matches which enabled rule of the school on that date -- in a single query, written
independently of the engine from docs/RULES.md:

- the school's calendar: weekdays inside its terms, minus its closure days, numbered back from
  the evaluation date (0 is the last school day on or before it); a window of `window_days`
  school days is a block of those numbers, so windows straddle holidays;
- records dated on a day that is not a school day do not count; withdrawn observations never
  count; neither do the records of an inactive student, nor (a resolved case) the records dated
  on or before the day the student's latest case was resolved, in the school's time zone;
- sign rules: per window, the observations (or, counting days, the days) with one of the rule's
  signs, the register's late marks as LATE and absences as ABSENCE when it uses the register;
  at least `min_events_per_window` in every one of the last `consecutive_windows` windows, and
  over those windows together at least `min_distinct_signs` signs and
  `min_distinct_observers` observers (the register counts as one);
- attendance rules: per window, possible sessions are two a school day minus those marked
  "not required"; attended are the possible ones not marked absent (a late mark attends); the
  rate must be below the threshold, exactly (9 of 10 is 90%), in every one of the windows.

Whatever the rule's parameters, so long as a sign rule asks for at least one event per window
(all the default rules do; the form refuses zero). tests/benchmarks/test_sql_reference.py
checks it against the engine on generated data.
"""

from __future__ import annotations

import datetime as dt
import time

# How far back the calendar is read: the engine's own CALENDAR_LOOKBACK (550 days).
LOOKBACK_DAYS = 550

DECISION_SQL = """
WITH cal AS (
    SELECT d::date AS day
    FROM schools_term t,
         generate_series(greatest(t.starts_on, %(since)s::date),
                         least(t.ends_on, %(on)s::date), interval '1 day') AS d
    WHERE t.school_id = %(school)s AND t.starts_on <= %(on)s AND t.ends_on >= %(since)s
      AND extract(isodow FROM d) < 6
    EXCEPT
    SELECT date FROM schools_closureday WHERE school_id = %(school)s
),
days AS (
    SELECT day, (row_number() OVER (ORDER BY day DESC) - 1)::int AS back FROM cal
),
rules AS (
    SELECT id, kind, signs, count_unit, use_register, window_days AS w,
           consecutive_windows AS c, min_events_per_window AS min_events,
           min_distinct_signs AS min_signs, min_distinct_observers AS min_observers,
           attendance_threshold AS threshold
    FROM alerts_warningrule
    WHERE school_id = %(school)s AND enabled
      -- A rule needs its whole span on the calendar.
      AND window_days * consecutive_windows <= (SELECT count(*) FROM days)
),
span AS (
    SELECT (SELECT min(day) FROM days
             WHERE back < (SELECT coalesce(max(w * c), 0) FROM rules)) AS first_day
),
latest_case AS (
    -- The case evaluation works on: the open one, else the latest opened.
    SELECT DISTINCT ON (c.student_id) c.student_id, c.status,
           (c.resolved_at AT TIME ZONE sc.time_zone)::date AS resolved_on
    FROM alerts_case c
    JOIN schools_student st ON st.id = c.student_id
    JOIN schools_school sc ON sc.id = st.school_id
    WHERE st.school_id = %(school)s
    ORDER BY c.student_id, (c.status <> 'resolved') DESC, c.opened_at DESC
),
students AS (
    SELECT st.id, lc.resolved_on
    FROM schools_student st
    LEFT JOIN latest_case lc ON lc.student_id = st.id AND lc.status = 'resolved'
    WHERE st.school_id = %(school)s AND st.is_active
),
observed AS (
    SELECT o.student_id, d.back, s.sign, o.recorded_by_id::text AS observer,
           'o' || o.id AS ref, false AS register
    FROM schools_observation o
    JOIN students st ON st.id = o.student_id
    JOIN days d ON d.day = o.observed_on
    JOIN schools_observationsign s ON s.observation_id = o.id
    WHERE o.withdrawn_at IS NULL
      AND o.observed_on >= (SELECT first_day FROM span)
      AND (st.resolved_on IS NULL OR o.observed_on > st.resolved_on)
      AND s.sign IN (SELECT jsonb_array_elements_text(signs) FROM rules)
),
marks AS (
    SELECT a.student_id, d.back, a.status, 'a' || a.id AS ref
    FROM schools_attendancerecord a
    JOIN students st ON st.id = a.student_id
    JOIN days d ON d.day = a.date
    WHERE a.status IN ('late', 'authorised_absence', 'unauthorised_absence', 'not_required')
      AND a.date >= (SELECT first_day FROM span)
      AND (st.resolved_on IS NULL OR a.date > st.resolved_on)
),
events AS (
    SELECT * FROM observed
    UNION ALL
    SELECT student_id, back, CASE WHEN status = 'late' THEN 'LATE' ELSE 'ABSENCE' END,
           'register', ref, true
    FROM marks WHERE status <> 'not_required'
),
rule_events AS (
    SELECT r.id AS rule_id, r.w, r.c, r.count_unit, r.min_events, r.min_signs,
           r.min_observers, e.*
    FROM rules r
    JOIN events e ON jsonb_exists(r.signs, e.sign) AND (r.use_register OR NOT e.register)
                 AND e.back < r.w * r.c
    WHERE r.kind = 'sign_pattern'
),
sign_windows AS (
    SELECT rule_id, student_id, back / w AS k, c, min_events,
           CASE WHEN count_unit = 'days' THEN count(DISTINCT back)
                ELSE count(DISTINCT ref) END AS events
    FROM rule_events
    GROUP BY rule_id, student_id, back / w, c, min_events, count_unit
),
sign_spans AS (
    SELECT rule_id, student_id
    FROM rule_events
    GROUP BY rule_id, student_id, min_signs, min_observers
    HAVING count(DISTINCT sign) >= min_signs AND count(DISTINCT observer) >= min_observers
),
attendance_windows AS (
    SELECT r.id AS rule_id, m.student_id, m.back / r.w AS k, r.c, r.threshold,
           2 * r.w - count(*) FILTER (WHERE m.status = 'not_required') AS possible,
           count(*) FILTER (WHERE m.status IN ('authorised_absence', 'unauthorised_absence'))
               AS absent
    FROM rules r
    JOIN marks m ON m.back < r.w * r.c
    WHERE r.kind = 'attendance_rate'
    GROUP BY r.id, m.student_id, m.back / r.w, r.w, r.c, r.threshold
)
SELECT rule_id, student_id FROM (
    SELECT rule_id, student_id FROM sign_windows
    WHERE events >= min_events
    GROUP BY rule_id, student_id, c HAVING count(*) = c
) persisted JOIN sign_spans USING (rule_id, student_id)
UNION ALL
SELECT rule_id, student_id FROM attendance_windows
WHERE possible > 0 AND threshold IS NOT NULL AND (possible - absent) * 100 < threshold * possible
GROUP BY rule_id, student_id, c HAVING count(*) = c
"""


def decide(school_id: int, on_date: dt.date) -> set[tuple[int, int]]:
    """(student id, rule id) for each active student of the school matching each of its
    enabled rules on `on_date`: one query."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            DECISION_SQL,
            {
                "school": school_id,
                "on": on_date,
                "since": on_date - dt.timedelta(days=LOOKBACK_DAYS),
            },
        )
        return {(student_id, rule_id) for rule_id, student_id in cursor.fetchall()}


def decide_all(school_ids, on_date: dt.date) -> tuple[float, dict[int, set[tuple[int, int]]]]:
    """decide() for each school in turn; the seconds it took and the decisions per school."""
    started = time.perf_counter()
    decisions = {school_id: decide(school_id, on_date) for school_id in school_ids}
    return time.perf_counter() - started, decisions


def engine_decisions(school, on_date: dt.date, not_before=None) -> set[tuple[int, int]]:
    """The same pairs, from alerts.engine.evaluate."""
    from alerts import engine

    evaluation = engine.evaluate(school=school, on_date=on_date, not_before=not_before)
    return {(m.student_id, m.rule.pk) for m in evaluation.matches}
