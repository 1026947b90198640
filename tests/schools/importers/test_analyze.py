"""A large import leaves the tables it filled analysed: the rule evaluation plans its queries
from the statistics, and autovacuum may be off or far behind a bulk load."""

from __future__ import annotations

import datetime as dt

from django.db import connection

from schools.importers import import_file
from schools.importers.writer import ANALYZE_AFTER_ROWS
from tests.clock import fixed_dates

pytestmark = fixed_dates

TABLES = ("schools_attendancerecord", "schools_student", "schools_observation")


def analyze_counts() -> dict[str, int]:
    """Manual ANALYZE runs per table (autovacuum's own are counted apart, in
    autoanalyze_count, so they cannot make this move)."""
    with connection.cursor() as cursor:
        # Statistics are read once per transaction unless the snapshot is cleared.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT relname, analyze_count FROM pg_stat_user_tables WHERE relname = ANY(%s)",
            [list(TABLES)],
        )
        return dict(cursor.fetchall())


def register_csv(tmp_path, students: int, days: int):
    """Every session of `days` school days absent for each of `students` students."""
    path = tmp_path / f"register-{students}x{days}.csv"
    school_days, day = [], dt.date(2025, 9, 1)  # a Monday inside the fixture term
    while len(school_days) < days:
        if day.weekday() < 5:
            school_days.append(day)
        day += dt.timedelta(days=1)
    with open(path, "w") as out:
        out.write("student_ref,date,session,code\n")
        for s in range(students):
            for d in school_days:
                for session in ("AM", "PM"):
                    out.write(f"{700000 + s},{d.isoformat()},{session},N\n")
    return path


def test_a_large_import_analyses_the_attendance_and_student_tables(
    school_a, tmp_path, django_capture_on_commit_callbacks
):
    path = register_csv(tmp_path, students=100, days=ANALYZE_AFTER_ROWS // 200)
    before = analyze_counts()

    with django_capture_on_commit_callbacks(execute=True):
        report = import_file(path, school=school_a, create_students=True)

    assert report.attendance["created"] == ANALYZE_AFTER_ROWS
    after = analyze_counts()
    assert {t: after[t] - before[t] for t in TABLES} == {
        "schools_attendancerecord": 1,
        "schools_student": 1,
        "schools_observation": 0,  # not filled: left alone
    }


def test_a_large_import_for_known_students_analyses_only_what_it_filled(
    school_a, tmp_path, django_capture_on_commit_callbacks
):
    path = register_csv(tmp_path, students=100, days=ANALYZE_AFTER_ROWS // 200)
    import_file(path, school=school_a, create_students=True, dry_run=False)
    corrected = tmp_path / "corrected.csv"
    corrected.write_text(path.read_text().replace(",N\n", ",U\n"))
    before = analyze_counts()

    with django_capture_on_commit_callbacks(execute=True):
        report = import_file(corrected, school=school_a)

    assert report.attendance["updated"] == ANALYZE_AFTER_ROWS and report.students_created == 0
    after = analyze_counts()
    assert {t: after[t] - before[t] for t in TABLES} == {
        "schools_attendancerecord": 1,
        "schools_student": 0,
        "schools_observation": 0,
    }


def test_a_small_import_or_a_dry_run_leaves_the_statistics_to_autovacuum(
    school_a, tmp_path, django_capture_on_commit_callbacks
):
    small = register_csv(tmp_path, students=10, days=5)
    large = register_csv(tmp_path, students=100, days=ANALYZE_AFTER_ROWS // 200)
    before = analyze_counts()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        import_file(small, school=school_a, create_students=True)
        import_file(large, school=school_a, create_students=True, dry_run=True)

    assert callbacks == []
    assert analyze_counts() == before
