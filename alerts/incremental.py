"""Incremental evaluation: on the date a school was last evaluated as on, only the students
whose records changed since need evaluating again.

Why that is the same as a full run: a student's matches depend only on the school's rules,
its calendar (the school days up to the evaluation date), the student's own active flag, rows
and case, and the evaluation date. The run stores a fingerprint of the rules (id, version,
enabled), of the school days and of the active students, with the date; when any of them
differs, the run is a full one. Otherwise a student whose rows and case did not change gets
the same matches, and the same matches leave their case as it is (evaluation is idempotent),
so only these students are evaluated again:

- an observation recorded, corrected or withdrawn (its `updated_at`, set by every write and
  by a withdrawal), or a register mark recorded or corrected (its `updated_at`, set by the
  API, the register page and every import);
- a case whose status a person changed (its `status_change` timeline entry): a resolution
  moves the date after which records count again.

"Since" is the start of the last run minus a margin (`ALERTS_INCREMENTAL_MARGIN_SECONDS`,
longer than any transaction may take): a record written by a transaction that began before
the last run read, and committed after, is still seen. Beat runs every school in full once a
week (`evaluate_all(full=True)`), as a safety net for anything written around the services.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from django.conf import settings
from django.db import connection

from schools.models import School

from .models import EvaluationState, EventKind, WarningRule


def fingerprint(*, school: School, rules: Sequence[WarningRule], days: Sequence[dt.date]) -> str:
    """The digest of what a run evaluates with besides the students' own rows (one query)."""
    if connection.vendor != "postgresql":
        return ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT md5(coalesce(string_agg(id::text, ',' ORDER BY id), '')) "
            "FROM schools_student WHERE school_id = %s AND is_active",
            [school.pk],
        )
        (active,) = cursor.fetchone()
    parts = [
        ",".join(f"{r.pk}:{r.version}:{r.enabled}" for r in sorted(rules, key=lambda r: r.pk)),
        ",".join(d.isoformat() for d in days),
        active,
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def changed_since(
    state: EvaluationState | None, *, on_date: dt.date, digest: str
) -> dt.datetime | None:
    """The moment from which changes must be looked for, or None when the run must be a full
    one (never evaluated, another date, other rules, calendar or students; and off
    PostgreSQL, the embedded demo run, always)."""
    if (
        connection.vendor != "postgresql"
        or state is None
        or state.on_date != on_date
        or state.fingerprint != digest
    ):
        return None
    return state.started_at - dt.timedelta(seconds=settings.ALERTS_INCREMENTAL_MARGIN_SECONDS)


_CHANGED_SQL = """
SELECT o.student_id FROM schools_observation o
JOIN schools_student s ON s.id = o.student_id
WHERE o.updated_at > %(since)s AND s.school_id = %(school)s
UNION
SELECT a.student_id FROM schools_attendancerecord a
JOIN schools_student s ON s.id = a.student_id
WHERE a.updated_at > %(since)s AND s.school_id = %(school)s
UNION
SELECT c.student_id FROM alerts_caseevent e
JOIN alerts_case c ON c.id = e.case_id
JOIN schools_student s ON s.id = c.student_id
WHERE e.kind = %(status_change)s AND e.at > %(since)s AND s.school_id = %(school)s
"""


def changed_students(*, school: School, since: dt.datetime) -> set[int]:
    """The students of `school` with a record or a case status changed after `since` (one
    query; the `updated_at` indexes make it read only the recent rows)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _CHANGED_SQL,
            {"since": since, "school": school.pk, "status_change": EventKind.STATUS_CHANGE},
        )
        return {row[0] for row in cursor.fetchall()}


def state_save(
    state: EvaluationState | None,
    *,
    school: School,
    on_date: dt.date,
    started_at: dt.datetime,
    digest: str,
) -> None:
    """Record this run as the school's last: `state` is the one the run read (None: the
    school's first run). One statement; the run holds the school's lock, so no other run of
    the school reads or writes the state meanwhile."""
    values = {"on_date": on_date, "started_at": started_at, "fingerprint": digest}
    if state is None:
        EvaluationState.objects.create(school=school, **values)
    else:
        EvaluationState.objects.filter(pk=state.pk).update(**values)
