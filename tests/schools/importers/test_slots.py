"""Writing the staged slots (slots.py): the plain INSERT of new exceptions, and the upsert it
falls back to when another transaction stored one of the slots meanwhile."""

from __future__ import annotations

import datetime as dt
import threading
import time

import psycopg
import pytest
from django.db import connection

from schools.importers import import_file
from schools.importers.pseudonym import Pseudonymiser
from schools.models import AttendanceRecord, Student
from tests.clock import fixed_dates

pytestmark = fixed_dates

MONDAY = dt.date(2026, 3, 2)


def csv_file(tmp_path, rows, name="marks.csv"):
    path = tmp_path / name
    path.write_text("student_ref,date,session,code\n" + "".join(f"{r}\n" for r in rows))
    return path


@pytest.mark.django_db(transaction=True)
def test_a_slot_another_transaction_stores_meanwhile_is_settled_by_the_upsert(school_a, tmp_path):
    student = Student.objects.create(school=school_a, code=Pseudonymiser().code("north", "77"))
    day = MONDAY.isoformat()
    path = csv_file(tmp_path, [f"77,{day},AM,N", f"77,{day},PM,I", "78,2026-03-03,AM,/"])
    # A teacher's register, saved while the import runs: not committed yet when the import
    # picks its new slots, so the import's plain INSERT meets it in the unique index.
    other = psycopg.connect(**connection.get_connection_params())
    other.execute(
        "INSERT INTO schools_attendancerecord (student_id, date, session, status, "
        "original_code, source, created_at, updated_at) "
        "VALUES (%s, %s, 'AM', 'late', 'L', 'web', now(), now())",
        [student.pk, MONDAY],
    )
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["report"] = import_file(path, school=school_a, create_students=True)
        finally:
            connection.close()

    importer = threading.Thread(target=run)
    importer.start()
    try:
        with psycopg.connect(**connection.get_connection_params(), autocommit=True) as watcher:
            waited = 0.0
            while not _waits_on_a_lock(watcher) and waited < 30:
                time.sleep(0.05)
                waited += 0.05
        assert waited < 30, "the import never met the other transaction's row"
    finally:
        other.commit()
        other.close()
        importer.join(60)
    report = outcome["report"]
    # The teacher's late mark was there when the upsert ran: it is rewritten, not created.
    assert (report.created, report.updated, report.attendance["present_not_stored"]) == (1, 1, 1)
    stored = dict(AttendanceRecord.objects.values_list("session", "status"))
    assert stored == {"AM": "unauthorised_absence", "PM": "authorised_absence"}


def _waits_on_a_lock(watcher) -> bool:
    """Whether the import's INSERT waits for another transaction (its unique index entry)."""
    row = watcher.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
        ["WITH n AS MATERIALIZED%"],
    ).fetchone()
    return bool(row and row[0])


def test_every_path_counts_the_same_over_stored_records(school_a, tmp_path):
    """By COPY, row by row, and with the Python sink: the same file over the same records."""
    day, tue = MONDAY.isoformat(), "2026-03-03"
    import_file(
        csv_file(tmp_path, [f"1,{day},AM,N", f"1,{day},PM,I", f"2,{day},AM,L"], "old.csv"),
        school=school_a,
        create_students=True,
    )
    rows = [
        f"1,{day},AM,N",  # unchanged
        f"1,{day},PM,/",  # corrected to present
        f"2,{day},AM,U",  # changed
        f"2,{tue},AM,G",  # new
        f"3,{tue},PM,/",  # present, nothing stored
    ]
    path = csv_file(tmp_path, rows)
    results = []
    for way in ({}, {"csv_by_copy": False}, {"force_python_sink": True}):
        report = import_file(path, school=school_a, create_students=True, dry_run=True, **way)
        results.append(report.attendance)
    assert results[0] == results[1] == results[2]
    assert results[0] == {"created": 1, "updated": 2, "unchanged": 1, "present_not_stored": 1}
