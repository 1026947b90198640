# ruff: noqa: S608 -- the only names formatted into SQL are our own random temp-table names.
"""Writing a staged table of attendance slots to the attendance table (PostgreSQL).

The staged table (line, student_id, date, session, status, original_code) holds one row a
slot (student, date, session), checked: no slot twice. What is written: an exception where no
record is stored; a record whose status or code differs, rewritten (a present mark corrects an
exception); nothing else. A record already holding the same status and code is not touched,
and a present mark where no record is stored writes nothing (a school day without a record
already counts as present).

An imported record names its source (csv, edfi) and no account: `recorded_by` is the teacher
who marked a register, and is emptied when an import rewrites the record. Pointing every
imported row at the import's system account would say nothing more than `source` does, and
would cost a foreign-key check a row when the import commits.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.backends.utils import CursorWrapper

from ..models import AttendanceStatus
from .report import ImportReport

PRESENT = AttendanceStatus.PRESENT.value
SLOT = "a.student_id = f.student_id AND a.date = f.date AND a.session = f.session"
COLUMNS = (
    "(student_id, date, session, status, original_code, source, recorded_by_id, created_at, "
    "updated_at)"
)


def write_slots(cursor: CursorWrapper, final: str, source: str, report: ImportReport) -> None:
    """Write the staged slots in `final` and count what happened in `report`: created,
    updated, present marks not stored, the rest unchanged."""
    try:
        with transaction.atomic():
            inserted, updated, present_not_stored = _insert_new(cursor, final, source)
    except IntegrityError:
        # Another transaction stored one of these slots after the new ones were picked (a
        # teacher's register of today, say): the upsert settles each slot whatever is there.
        inserted, updated, present_not_stored = _upsert(cursor, final, source)
    cursor.execute(f"SELECT count(*) FROM {final}")
    (total,) = cursor.fetchone()
    _count(report, total, inserted, updated, present_not_stored)


def _insert_new(cursor: CursorWrapper, final: str, source: str) -> tuple[int, int, int]:
    """The changed records rewritten, then the new exceptions by a plain INSERT: cheaper
    than INSERT ... ON CONFLICT, which speculates row by row (an index probe and a second
    write-ahead-log record for each row it inserts)."""
    c = cursor
    c.execute(
        "UPDATE schools_attendancerecord a SET status = f.status, "
        "original_code = f.original_code, source = %s, recorded_by_id = NULL, "
        f"updated_at = now() FROM {final} f WHERE {SLOT} "
        "AND (a.status, a.original_code) IS DISTINCT FROM (f.status, f.original_code)",
        [source],
    )
    updated = c.rowcount
    c.execute(
        "WITH n AS MATERIALIZED (SELECT f.student_id, f.date, f.session, f.status, "
        f"f.original_code FROM {final} f WHERE NOT EXISTS ("
        f"SELECT 1 FROM schools_attendancerecord a WHERE {SLOT})), "
        f"i AS (INSERT INTO schools_attendancerecord {COLUMNS} "
        "SELECT student_id, date, session, status, "
        "original_code, %s, NULL, now(), now() FROM n WHERE status <> %s RETURNING 1) "
        "SELECT (SELECT count(*) FROM i), count(*) FILTER (WHERE status = %s) FROM n",
        [source, PRESENT, PRESENT],
    )
    inserted, present_not_stored = c.fetchone()
    return inserted, updated, present_not_stored


def _upsert(cursor: CursorWrapper, final: str, source: str) -> tuple[int, int, int]:
    c = cursor
    c.execute(
        f"WITH w AS (INSERT INTO schools_attendancerecord AS a {COLUMNS} "
        f"SELECT student_id, date, session, status, original_code, %s, NULL, now(), now() "
        f"FROM {final} WHERE status <> %s "
        "ON CONFLICT (student_id, date, session) DO UPDATE SET status = EXCLUDED.status, "
        "original_code = EXCLUDED.original_code, source = EXCLUDED.source, "
        "recorded_by_id = EXCLUDED.recorded_by_id, updated_at = EXCLUDED.updated_at "
        "WHERE (a.status, a.original_code) IS DISTINCT FROM "
        "(EXCLUDED.status, EXCLUDED.original_code) "
        "RETURNING (xmax = 0) AS inserted) "
        "SELECT count(*) FILTER (WHERE inserted), "
        "count(*) FILTER (WHERE NOT inserted) FROM w",
        [source, PRESENT],
    )
    inserted, updated = c.fetchone()
    c.execute(
        "UPDATE schools_attendancerecord a SET status = f.status, "
        "original_code = f.original_code, source = %s, recorded_by_id = NULL, "
        f"updated_at = now() FROM {final} f WHERE f.status = %s AND {SLOT} "
        "AND (a.status, a.original_code) IS DISTINCT FROM (f.status, f.original_code)",
        [source, PRESENT],
    )
    updated += c.rowcount
    c.execute(
        f"SELECT count(*) FROM {final} f WHERE f.status = %s AND NOT EXISTS ("
        f"SELECT 1 FROM schools_attendancerecord a WHERE {SLOT})",
        [PRESENT],
    )
    (present_not_stored,) = c.fetchone()
    return inserted, updated, present_not_stored


def _count(
    report: ImportReport, total: int, inserted: int, updated: int, present_not_stored: int
) -> None:
    report.attendance["created"] += inserted
    report.attendance["updated"] += updated
    report.attendance["present_not_stored"] += present_not_stored
    report.attendance["unchanged"] += total - inserted - updated - present_not_stored
