"""CSV attendance by COPY (csv_copy.py) against the row-by-row reader, on the same files.

Each test imports a file both ways and asserts the same outcome: the problems by line and
reason, or the summary counts and the stored records. The files are large enough that the
lines named are far from the first ones.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.db import connection

from schools.importers import ImportRefused, csv_copy, import_file
from schools.models import AttendanceRecord, AttendanceStatus, ClosureDay, RecordSource, Student
from tests.clock import fixed_dates
from tests.factories import UserFactory

pytestmark = fixed_dates

MONDAY = dt.date(2026, 3, 2)  # inside the term on the fixed-dates day
HEADER = "student_ref,date,session,code"
# Files COPY would read otherwise than csv.reader: the row-by-row reader takes them.
ODD_FILES = [
    pytest.param(f'{HEADER}\n"50,00",2026-03-02,AM,N\n', id="quoted comma"),
    pytest.param(f'{HEADER}\n"50\n00",2026-03-02,AM,N\n', id="quoted line break"),
    pytest.param(f'{HEADER}\n"50""00",2026-03-02,AM,N\n', id="doubled quote"),
    pytest.param(f'{HEADER}\n50"00,2026-03-02,AM,N\n', id="quote inside a field"),
    pytest.param(f"{HEADER}\n5000,2026-03-02,AM\n5001,2026-03-02,AM,N\n", id="short row"),
    pytest.param(f"{HEADER}\n5000,2026-03-02,AM,N\n\n5001,2026-03-02,AM,N\n", id="blank line"),
    pytest.param(f"{HEADER}\n5000,2026-03-02,AM,N,x\n5001,2026-03-02,AM,N\n", id="long row"),
    pytest.param(f"{HEADER}\n5000,2026-03-02,AM,N\r5001,2026-03-02,AM,N\n", id="lone CR"),
    pytest.param(f"{HEADER}\n5000,2026-03-02,AM,N\n\\.\n5001,2026-03-02,AM,N\n", id="end"),
]


def weekdays(n: int) -> list[dt.date]:
    days, day = [], MONDAY - dt.timedelta(weeks=20)
    while len(days) < n:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def register(students: int = 40, days: int = 50) -> list[list[str]]:
    """students x days x 2 sessions of marks: present mornings, varied afternoons."""
    codes = ["N", "I", "L", "/", "U", "m", "authorised_absence", "V"]
    return [
        [f"{5000 + s}", d.isoformat(), session, "/" if session == "AM" else codes[(s + i) % 8]]
        for s in range(students)
        for i, d in enumerate(weekdays(days))
        for session in ("AM", "PM")
    ]


def write(path: Path, rows, header: str = HEADER, end: str = "\n", newline: str = "\n") -> Path:
    path.write_bytes((newline.join([header, *(",".join(r) for r in rows)]) + end).encode())
    return path


def took_copy(run) -> tuple[object, bool]:
    """What `run()` returned or raised, and whether the import went by COPY."""
    statements: list[str] = []

    def spy(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        try:
            outcome: object = run()
        except ImportRefused as refused:
            outcome = refused
    # The distinct values are asked for once COPY has read the whole file.
    copied = any("GROUPING SETS" in s for s in statements)
    return outcome, copied


def both_ways(path: Path, school, **kwargs):
    """Import `path` by COPY and row by row, each in a savepoint rolled back after, and
    return (by copy, took copy, row by row): reports or refusals."""
    results = []
    for by_copy in (True, False):
        outcome, copied = took_copy(
            lambda by_copy=by_copy: import_file(
                path, school=school, dry_run=True, csv_by_copy=by_copy, **kwargs
            )
        )
        assert by_copy or not copied
        results.append((outcome, copied))
    (copy_outcome, copied), (rows_outcome, _) = results
    return copy_outcome, copied, rows_outcome


def problems(refused) -> list[str]:
    assert isinstance(refused, ImportRefused), refused
    return [*refused.lines()]


def summary(report) -> dict:
    assert not isinstance(report, ImportRefused), report.lines()
    students = {code: sorted(t.students) for code, t in report.schools.items()}
    return {**report.as_dict(), "students": students, "lines": report.summary_lines()}


def test_each_kind_of_bad_row_in_a_large_file_is_named_by_line(school_a, tmp_path, settings):
    settings.RECORDS_EARLIEST_DATE = dt.date(2025, 1, 1)
    rows = register()  # 4,000 rows
    future = (school_a.today() + dt.timedelta(days=3)).isoformat()
    bad = {
        1207: ["", MONDAY.isoformat(), "AM", "N"],  # empty reference
        1999: ["5001", "2026-02-30", "PM", "N"],  # not a date
        2500: ["5002", MONDAY.isoformat(), "EV", "N"],  # not a session
        3001: ["5003", MONDAY.isoformat(), "PM", "Q9"],  # not a code
        3400: ["5004", future, "AM", "N"],  # in the future
        3401: ["5004", "2024-12-02", "AM", "N"],  # before the earliest date
        3998: [" ", "31/02/2026", "am", "?"],  # everything at once
    }
    for i, row in bad.items():
        rows[i] = row
    copy_refused, copied, rows_refused = both_ways(
        write(tmp_path / "bad.csv", rows), school_a, create_students=True
    )
    assert copied
    assert problems(copy_refused) == problems(rows_refused)
    assert [p.where for p in copy_refused.problems] == [f"line {i + 2}" for i in sorted(bad)]
    assert copy_refused.problems[-1].reason == (
        "the student reference is empty; the date is not a date (use YYYY-MM-DD or "
        "DD/MM/YYYY); the code is not a register code or status name (docs/IMPORTS.md)"
    )
    assert "in the future" in copy_refused.problems[4].reason
    assert not Student.objects.exists() and not AttendanceRecord.objects.exists()


def test_more_than_fifty_bad_rows_are_counted(school_a, tmp_path):
    rows = register()
    for i in range(100, 3100, 30):  # 100 bad codes
        rows[i][3] = "??"
    copy_refused, copied, rows_refused = both_ways(
        write(tmp_path / "bad.csv", rows), school_a, create_students=True
    )
    assert copied and copy_refused.total == 100 and len(copy_refused.problems) == 50
    assert problems(copy_refused) == problems(rows_refused)


def test_a_slot_named_twice_in_a_large_file_is_named_by_its_lines(school_a, tmp_path):
    rows = register()
    rows[3500] = list(rows[17])
    rows[3600] = [*rows[18][:3], "I"]
    copy_refused, copied, rows_refused = both_ways(
        write(tmp_path / "dup.csv", rows), school_a, create_students=True
    )
    assert copied
    assert problems(copy_refused) == problems(rows_refused)
    assert [p.where for p in copy_refused.problems] == [
        "line 19 and line 3502",
        "line 20 and line 3602",
    ]


def test_summary_counts_first_import_and_reimport(school_a, tmp_path):
    """Skips by the calendar, present marks, students created, then a re-import that changes
    nothing and one that corrects two records: the same counts both ways, every time."""
    closed = weekdays(50)[10]
    ClosureDay.objects.create(school=school_a, date=closed, reason="Training day")
    rows = register()
    rows += [["6000", "2026-02-28", "AM", "N"], ["6001", "2025-08-01", "AM", "N"]]  # skipped
    path = write(tmp_path / "marks.csv", rows, newline="\r\n", end="\r\n\r\n\n")
    first, copied, first_rows = both_ways(path, school_a, create_students=True)
    assert copied and summary(first) == summary(first_rows)
    assert first.skipped == {"weekend": 1, "outside_terms": 1, "closure_day": 80}
    assert first.students_created == 40  # not the two whose only line was skipped
    exceptions = sum(r[3] not in ("/", "V") and r[1] != closed.isoformat() for r in rows[:-2])
    assert first.attendance["created"] == exceptions and exceptions > 1000

    import_file(path, school=school_a, create_students=True)
    stored = sorted(AttendanceRecord.objects.values_list("id", "status", "updated_at"))
    again, copied, again_rows = both_ways(path, school_a)
    assert copied and summary(again) == summary(again_rows)
    assert (again.created, again.updated, again.students_created) == (0, 0, 0)
    assert again.unchanged == exceptions
    assert sorted(AttendanceRecord.objects.values_list("id", "status", "updated_at")) == stored

    rows[1][3], rows[3][3] = "I", "/"  # an absence explained, another one a mistake
    changed = write(tmp_path / "v2.csv", rows)
    update, copied, update_rows = both_ways(changed, school_a)
    assert copied and summary(update) == summary(update_rows)
    assert (update.created, update.updated) == (0, 2)


@pytest.mark.parametrize("by_copy", [True, False], ids=["by COPY", "row by row"])
def test_imported_records_name_their_source_and_no_account(school_a, tmp_path, by_copy):
    """An import writes its records with their source and no recorded_by, and a record it
    rewrites loses the teacher who marked it; a teacher's mark it leaves alone keeps them."""
    path = write(tmp_path / "marks.csv", register(students=4, days=5))
    import_file(path, school=school_a, create_students=True, csv_by_copy=by_copy)
    imported = AttendanceRecord.objects.all()
    assert imported.count() > 5
    assert set(imported.values_list("source", "recorded_by")) == {(RecordSource.IMPORT_CSV, None)}

    teacher = UserFactory()
    changed = list(imported.exclude(original_code="L").order_by("id")[:2])
    for record in changed:
        record.status, record.original_code = AttendanceStatus.LATE, "L"
        record.source, record.recorded_by = RecordSource.REGISTER, teacher
        record.save()
    # A teacher's mark on a day the file does not name.
    kept = AttendanceRecord.objects.create(
        student=changed[0].student,
        date=MONDAY,
        session="AM",
        status=AttendanceStatus.LATE,
        original_code="L",
        recorded_by=teacher,
    )
    report = import_file(path, school=school_a, csv_by_copy=by_copy)
    assert report.updated == 2  # the file's marks put back on both
    for record in changed:
        record.refresh_from_db()
        assert (record.source, record.recorded_by) == (RecordSource.IMPORT_CSV, None)
    kept.refresh_from_db()
    assert (kept.source, kept.recorded_by) == (RecordSource.REGISTER, teacher)


def test_unknown_students_are_skipped_and_counted_by_copy(school_a, tmp_path):
    rows = register(students=4, days=5)
    import_file(write(tmp_path / "two.csv", rows[:20]), school=school_a, create_students=True)
    rows.append(["7000", "2026-02-28", "AM", "N"])  # unknown, but on a Saturday: not counted
    report, copied, report_rows = both_ways(write(tmp_path / "all.csv", rows), school_a)
    assert copied and summary(report) == summary(report_rows)
    assert report.skipped == {"unknown_student": 20, "weekend": 1}
    assert report.students_unknown == 2


@pytest.mark.parametrize("content", ODD_FILES)
def test_a_file_copy_would_read_otherwise_goes_row_by_row(school_a, tmp_path, content):
    path = tmp_path / "odd.csv"
    path.write_text(content)
    by_copy, copied, rows = both_ways(path, school_a, create_students=True)
    assert not copied
    if isinstance(rows, ImportRefused):
        assert problems(by_copy) == problems(rows)
    else:
        assert summary(by_copy) == summary(rows)


@pytest.mark.parametrize("content", ODD_FILES)
def test_the_odd_files_are_found_before_copy_reads_a_byte(content):
    # A COPY that fails quotes the offending line, reference and all, in the server's log.
    stream = io.BytesIO(content.encode())
    with pytest.raises(csv_copy.NotForCopy):
        for _chunk in csv_copy._lines(stream, 4, csv_copy._content_end(stream), check=True):
            pass


def test_a_file_with_every_field_quoted_is_read_by_copy_as_row_by_row(school_a, tmp_path):
    """Many exports quote every field: csv.reader takes the quotes off, chunk by chunk, and
    COPY reads the same values as the row-by-row reader, bad ones named by the same lines."""
    rows = register(students=30, days=40)
    rows[700][1] = "2026-02-30"
    quoted = [[f'"{field}"' for field in row] for row in rows]
    path = write(tmp_path / "quoted.csv", quoted, header='"student_ref","date","session","code"')
    by_copy, copied, rows_refusal = both_ways(path, school_a, create_students=True)
    assert copied and problems(by_copy) == problems(rows_refusal)
    assert any("line 702" in line for line in problems(by_copy))
    del quoted[700]
    path = write(tmp_path / "quoted.csv", quoted, newline="\r\n")
    report, copied, report_rows = both_ways(path, school_a, create_students=True)
    assert copied and summary(report) == summary(report_rows)
    assert report.read == len(quoted) and report.students_created == 30


def test_the_checks_pass_a_plain_file_through_with_unix_line_ends():
    content = f"{HEADER}\r\n5000,2026-03-02,AM,N\r\n5001,02/03/2026,pm,\\\r\n\r\n  \n"
    stream = io.BytesIO(content.encode())
    chunks = [*csv_copy._lines(stream, 4, csv_copy._content_end(stream), check=True)]
    assert b"".join(chunks) == f"{HEADER}\n5000,2026-03-02,AM,N\n5001,02/03/2026,pm,\\\n".encode()


def test_bytes_that_are_not_utf8_go_row_by_row_and_are_refused(school_a, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(f"{HEADER}\n5000,2026-03-02,AM,N\n".encode() + b"50\xe901,2026-03-02,AM,N\n")
    by_copy, copied, rows = both_ways(path, school_a, create_students=True)
    assert not copied and problems(by_copy) == problems(rows)
    assert "not UTF-8" in by_copy.message


def test_extra_columns_and_a_bom_are_read_by_copy(school_a, tmp_path):
    rows = [[r[3], "x", r[1], r[2], r[0]] for r in register(students=3, days=4)]
    path = tmp_path / "bom.csv"
    write(path, rows, header="\ufeffmark,note,date,session,upn")
    report, copied, report_rows = both_ways(path, school_a, create_students=True)
    assert copied and summary(report) == summary(report_rows)
    assert report.read == 24 and report.students_created == 3
