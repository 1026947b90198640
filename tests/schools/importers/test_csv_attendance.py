"""CSV attendance: register codes, all or nothing, idempotent, the calendar policy."""

from __future__ import annotations

import datetime as dt

import pytest

from schools.importers import ImportRefused, import_file
from schools.importers.pseudonym import Pseudonymiser
from schools.models import AttendanceRecord, ClosureDay, Student
from tests.clock import fixed_dates

pytestmark = fixed_dates

MONDAY = dt.date(2026, 3, 2)  # inside the term on the fixed-dates day (2025-09 to 2027-07)


def write_csv(tmp_path, rows, name="marks.csv", header="student_ref,date,session,code"):
    path = tmp_path / name
    path.write_text("\n".join([header, *(",".join(map(str, r)) for r in rows)]) + "\n")
    return path


def status_of(school, ref, day=MONDAY, session="AM"):
    code = Pseudonymiser().code(school.code, ref)
    record = AttendanceRecord.objects.filter(
        student__school=school, student__code=code, date=day, session=session
    ).first()
    return record.status if record else None


def test_register_codes_map_to_statuses(school_a, tmp_path):
    day = MONDAY.isoformat()
    rows = [
        ("1001", day, "AM", "I"),  # illness
        ("1002", day, "AM", "U"),  # arrived after the register closed
        ("1003", day, "AM", "L"),  # late before it closed
        ("1004", day, "AM", "G"),  # holiday not authorised
        ("1005", day, "AM", "/"),  # present
        ("1006", day, "PM", "\\"),  # present, afternoon
        ("1007", day, "AM", "V"),  # educational visit: present
        ("1008", day, "AM", "Y1"),  # not counted
        ("1009", day, "AM", "H"),  # pre-2024: authorised holiday
        ("1010", day, "am", "unauthorised_absence"),  # our own status name
        ("1011", day, "PM", "m"),  # lower case is accepted
    ]
    report = import_file(write_csv(tmp_path, rows), school=school_a, create_students=True)

    expected = {
        "1001": "authorised_absence",
        "1002": "unauthorised_absence",
        "1003": "late",
        "1004": "unauthorised_absence",
        "1005": None,  # present is the default: no row is stored
        "1007": None,
        "1008": "not_required",
        "1009": "authorised_absence",
        "1010": "unauthorised_absence",
    }
    for ref, status in expected.items():
        assert status_of(school_a, ref) == status, ref
    assert status_of(school_a, "1006", session="PM") is None
    assert status_of(school_a, "1011", session="PM") == "authorised_absence"
    assert report.read == len(rows)
    assert report.attendance["created"] == 8
    # A first import: the three present marks are not "unchanged" records, they are marks
    # where nothing needed storing.
    assert report.attendance["unchanged"] == 0
    assert report.attendance["present_not_stored"] == 3
    kinds = report.as_dict()["by_kind"]
    assert kinds["attendance"] == {
        "read": 11,
        "created": 8,
        "updated": 0,
        "unchanged": 0,
        "present_not_stored": 3,
    }
    assert kinds["students"]["created"] == 11 and report.created == 8


def test_one_bad_row_among_thousands_refuses_the_file_naming_its_line(school_a, tmp_path):
    rows = [
        (f"{2000 + i % 300}", MONDAY - dt.timedelta(days=7 * (i // 300)), "AM", "N")
        for i in range(4000)
    ]
    rows = [r for r in rows if r[1].weekday() < 5]
    bad_index = 3217
    rows[bad_index] = (rows[bad_index][0], "2026-02-30", "AM", "N")
    with pytest.raises(ImportRefused) as refused:
        import_file(write_csv(tmp_path, rows), school=school_a, create_students=True)
    assert [p.where for p in refused.value.problems] == [f"line {bad_index + 2}"]
    assert "the date is not a date" in refused.value.problems[0].reason
    assert not AttendanceRecord.objects.exists() and not Student.objects.exists()


def test_every_bad_row_is_reported(school_a, tmp_path):
    day = MONDAY.isoformat()
    rows = [
        ("1", day, "AM", "I"),
        ("", day, "AM", "I"),
        ("3", day, "XX", "I"),
        ("4", day, "AM", "?"),
    ]
    with pytest.raises(ImportRefused) as refused:
        import_file(write_csv(tmp_path, rows), school=school_a, create_students=True)
    assert [str(p) for p in refused.value.problems] == [
        "line 3: the student reference is empty",
        "line 4: the session is not AM or PM",
        "line 5: the code is not a register code or status name (docs/IMPORTS.md)",
    ]


@pytest.mark.parametrize("python_sink", [False, True], ids=["postgresql", "python"])
def test_the_same_session_twice_refuses_the_file_naming_the_lines(school_a, tmp_path, python_sink):
    day, other = MONDAY.isoformat(), (MONDAY + dt.timedelta(days=1)).isoformat()
    rows = [
        ("1", day, "AM", "I"),
        ("2", day, "AM", "I"),
        ("1", day, "AM", "N"),
        ("3", other, "PM", "N"),
        ("3", other, "PM", "N"),
        ("3", other, "pm", "/"),
    ]
    with pytest.raises(ImportRefused) as refused:
        import_file(
            write_csv(tmp_path, rows),
            school=school_a,
            create_students=True,
            force_python_sink=python_sink,
        )
    assert [str(p) for p in refused.value.problems] == [
        "line 2 and line 4: the same student, date and session appear more than once",
        "line 5 and line 7: the same student, date and session appear more than once (3 times)",
    ]
    assert not AttendanceRecord.objects.exists() and not Student.objects.exists()


def test_reimport_changes_nothing_and_an_update_changes_just_that_record(school_a, tmp_path):
    days = [MONDAY + dt.timedelta(days=d) for d in range(5)]
    rows = [(ref, d.isoformat(), s, "N") for ref in ("1", "2") for d in days for s in ("AM", "PM")]
    path = write_csv(tmp_path, rows)
    first = import_file(path, school=school_a, create_students=True)
    # Records only: the two students created are counted apart.
    assert (first.created, first.updated, first.students_created) == (len(rows), 0, 2)
    before = sorted(AttendanceRecord.objects.values_list("id", "status", "updated_at"))

    again = import_file(path, school=school_a)
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(rows))
    assert sorted(AttendanceRecord.objects.values_list("id", "status", "updated_at")) == before

    rows[3] = (*rows[3][:3], "I")  # the reason for one absence has come in
    rows[4] = (*rows[4][:3], "/")  # another turned out to be a mistake: present
    updated = import_file(write_csv(tmp_path, rows, "v2.csv"), school=school_a)
    assert (updated.created, updated.updated) == (0, 2)
    after = {
        r[0]: r[1:] for r in AttendanceRecord.objects.values_list("id", "status", "updated_at")
    }
    changed = {pk for pk, *rest in before if tuple(rest) != after[pk]}
    assert len(changed) == 2
    assert sorted(after[pk][0] for pk in changed) == ["authorised_absence", "present"]


def test_unknown_students_are_skipped_and_counted_without_create_students(school_a, tmp_path):
    rows = [("1", MONDAY.isoformat(), "AM", "N"), ("2", MONDAY.isoformat(), "AM", "N")]
    path = write_csv(tmp_path, rows)
    import_file(write_csv(tmp_path, rows[:1], "one.csv"), school=school_a, create_students=True)
    report = import_file(path, school=school_a)
    assert report.skipped == {"unknown_student": 1}
    assert report.students_unknown == 1
    assert Student.objects.count() == 1


def test_dates_the_school_was_closed_are_skipped_by_reason(school_a, tmp_path):
    closed = MONDAY + dt.timedelta(days=1)
    ClosureDay.objects.create(school=school_a, date=closed, reason="Training day")
    rows = [
        ("1", MONDAY.isoformat(), "AM", "N"),
        ("1", (MONDAY - dt.timedelta(days=1)).isoformat(), "AM", "N"),  # a Sunday
        ("1", closed.isoformat(), "AM", "N"),
        ("1", "2025-08-01", "AM", "N"),  # a Friday before the first term
    ]
    report = import_file(write_csv(tmp_path, rows), school=school_a, create_students=True)
    assert report.skipped == {"weekend": 1, "closure_day": 1, "outside_terms": 1}
    assert list(AttendanceRecord.objects.values_list("date", flat=True)) == [MONDAY]


def test_a_future_date_refuses_the_file(school_a, tmp_path):
    future = school_a.today() + dt.timedelta(days=30)
    rows = [("1", MONDAY.isoformat(), "AM", "N"), ("1", future.isoformat(), "AM", "N")]
    with pytest.raises(ImportRefused) as refused:
        import_file(write_csv(tmp_path, rows), school=school_a, create_students=True)
    assert [p.where for p in refused.value.problems] == ["line 3"]


def test_a_csv_needs_a_school_and_a_header(school_a, tmp_path):
    rows = [("987654", MONDAY.isoformat(), "AM", "N")]
    with pytest.raises(ImportRefused, match="--school"):
        import_file(write_csv(tmp_path, rows), create_students=True)
    no_header = tmp_path / "no-header.csv"
    no_header.write_text(f"987654,{MONDAY.isoformat()},AM,N\n")
    with pytest.raises(ImportRefused) as refused:
        import_file(no_header, school=school_a, create_students=True)
    assert "header" in refused.value.message
    assert "987654" not in "\n".join(refused.value.lines())  # the reference is never echoed


def test_a_binary_file_is_refused(school_a, tmp_path):
    path = tmp_path / "blob.csv"
    path.write_bytes(b"student_ref,date,session,code\n\xff\xfe\x00\x01garbage\n")
    with pytest.raises(ImportRefused):
        import_file(path, school=school_a, create_students=True)
    assert not Student.objects.exists()


def test_a_dry_run_counts_everything_and_writes_nothing(school_a, tmp_path):
    rows = [("1", MONDAY.isoformat(), "AM", "N"), ("2", MONDAY.isoformat(), "PM", "I")]
    report = import_file(
        write_csv(tmp_path, rows), school=school_a, create_students=True, dry_run=True
    )
    assert (report.attendance["created"], report.students_created) == (2, 2)
    assert not AttendanceRecord.objects.exists() and not Student.objects.exists()
