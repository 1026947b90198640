"""Ed-Fi StudentSchoolAttendance / StudentSectionAttendance on the real sample files."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from schools.importers import ImportRefused, import_file
from schools.importers.pseudonym import Pseudonymiser
from schools.models import AttendanceRecord, School, Student, Term

from .conftest import SCHOOL_IDS, edfi, plain_school_events

# The figures the issue states about StudentSchoolAttendance.xml.
ISSUE_CATEGORIES = {
    "Excused Absence": 1077,
    "Unexcused Absence": 773,
    "Tardy": 66,
    "Partial": 1,
}
ISSUE_BY_SCHOOL = {255901107: (831, 115), 255901001: (620, 64), 255901044: (466, 48)}


@pytest.fixture(scope="module")
def plain():
    events = plain_school_events(edfi("StudentSchoolAttendance.xml"))
    by_school: dict[int, tuple[int, set]] = {}
    for e in events:
        n, students = by_school.get(e["school"], (0, set()))
        students.add(e["student"])
        by_school[e["school"]] = (n + 1, students)
    return {
        "events": events,
        "categories": Counter(e["category"] for e in events),
        "students": {e["student"] for e in events},
        "by_school": {sid: (n, len(s)) for sid, (n, s) in by_school.items()},
        "weekend": [e for e in events if e["date"].weekday() >= 5],
        "same_day": [
            k
            for k, n in Counter((e["school"], e["student"], e["date"]) for e in events).items()
            if n > 1
        ],
    }


def test_the_sample_holds_the_figures_the_issue_states(plain):
    assert plain["categories"] == ISSUE_CATEGORIES
    assert len(plain["students"]) == 227
    assert plain["by_school"] == ISSUE_BY_SCHOOL
    assert len(plain["weekend"]) == 3
    assert len(plain["same_day"]) == 1


def test_calendar_sessions_become_terms(grand_bend):
    text = edfi("EducationOrgCalendar.xml").read_text()
    sessions = text.count("<Session>")
    assert Term.objects.filter(school__in=grand_bend.values()).count() == sessions == 6


def test_school_attendance_yields_its_events_by_category_and_school(grand_bend, plain):
    report = import_file(edfi("StudentSchoolAttendance.xml"), create_students=True)

    assert report.read == len(plain["events"]) == 1917
    assert dict(report.by_category) == ISSUE_CATEGORIES
    assert report.students_created == 227 == Student.objects.count()
    for code, sid in SCHOOL_IDS.items():
        events, students = ISSUE_BY_SCHOOL[sid]
        assert report.schools[code].events == events
        assert len(report.schools[code].students) == students
        assert Student.objects.filter(school=grand_bend[code]).count() == students

    # Policies: the three weekend events are skipped and counted; the Partial on the day of an
    # excused absence loses to it (the graver mark wins the session) and is counted.
    assert dict(report.skipped) == {"weekend": 3, "superseded_same_session": 1}
    assert report.applied + sum(report.skipped.values()) == report.read

    # A daily absence is both sessions; a tardy is one late session.
    records = Counter(AttendanceRecord.objects.values_list("original_code", "status"))
    weekend_tardies = sum(1 for e in plain["weekend"] if e["category"] == "Tardy")
    assert weekend_tardies == 3
    assert records == {
        ("Excused Absence", "authorised_absence"): 2 * ISSUE_CATEGORIES["Excused Absence"],
        ("Unexcused Absence", "unauthorised_absence"): 2 * ISSUE_CATEGORIES["Unexcused Absence"],
        ("Tardy", "late"): ISSUE_CATEGORIES["Tardy"] - weekend_tardies,
    }
    assert report.attendance["created"] == sum(records.values())
    assert not AttendanceRecord.objects.filter(date__week_day__in=[1, 7]).exists()

    # The student with two events on one day: an authorised absence, morning and afternoon.
    ((school_id, reference, day),) = plain["same_day"]
    school = School.objects.get(edfi_school_id=school_id)
    code = Pseudonymiser().code(school.code, reference)
    marks = AttendanceRecord.objects.filter(student__school=school, student__code=code, date=day)
    assert sorted(marks.values_list("session", "status", "original_code")) == [
        ("AM", "authorised_absence", "Excused Absence"),
        ("PM", "authorised_absence", "Excused Absence"),
    ]


def _snapshot():
    return sorted(
        AttendanceRecord.objects.values_list("id", "status", "original_code", "updated_at")
    )


def test_a_second_import_changes_nothing(grand_bend):
    path = edfi("StudentSchoolAttendance.xml")
    first = import_file(path, create_students=True)
    before = _snapshot()
    second = import_file(path, create_students=True)
    assert (second.created, second.updated) == (0, 0)
    assert second.unchanged == first.attendance["created"]
    assert _snapshot() == before


def test_an_updated_file_updates_just_the_changed_records(grand_bend, tmp_path):
    path = edfi("StudentSchoolAttendance.xml")
    import_file(path, create_students=True)
    before = dict((r[0], r[1:]) for r in _snapshot())
    text = path.read_text()
    marker = "AttendanceEventCategoryDescriptor#Excused Absence"
    changed = tmp_path / "changed.xml"
    changed.write_text(
        text.replace(marker, "AttendanceEventCategoryDescriptor#Unexcused Absence", 1)
    )

    report = import_file(changed, create_students=True)

    assert (report.created, report.updated) == (0, 2)  # one daily event = two sessions
    after = dict((r[0], r[1:]) for r in _snapshot())
    differ = [pk for pk in before if before[pk] != after[pk]]
    assert len(differ) == 2
    assert {after[pk][:2] for pk in differ} == {("unauthorised_absence", "Unexcused Absence")}


def test_an_event_of_a_school_nobody_claims_refuses_the_file(db):
    School.objects.create(code="only", name="Only", edfi_school_id=SCHOOL_IDS["gb1001"])
    with pytest.raises(ImportRefused) as refused:
        import_file(edfi("StudentSchoolAttendance.xml"), create_students=True)
    text = "\n".join(refused.value.lines())
    assert "SchoolId 255901044" in text and "SchoolId 255901107" in text
    assert "element StudentSchoolAttendanceEvent #" in text
    assert not AttendanceRecord.objects.exists() and not Student.objects.exists()


def test_restricting_to_one_school_skips_the_others_by_reason(grand_bend, plain):
    school = grand_bend["gb1044"]
    report = import_file(edfi("StudentSchoolAttendance.xml"), school=school, create_students=True)
    others = sum(1 for e in plain["events"] if e["school"] != school.edfi_school_id)
    assert report.skipped["other_school"] == others
    assert set(Student.objects.values_list("school__code", flat=True)) == {"gb1044"}


def test_section_tardies_are_late_sessions(grand_bend):
    path = edfi("StudentSectionAttendance-Tardy.xml")
    text = path.read_text()
    events = text.count("<StudentSectionAttendanceEvent>")
    tardies = text.count("AttendanceEventCategoryDescriptor#Tardy")
    report = import_file(path, create_students=True)
    assert report.read == events == 66
    assert report.by_category["Tardy"] == tardies
    late = AttendanceRecord.objects.filter(status="late").count()
    assert late + report.skipped["weekend"] + report.skipped["superseded_same_session"] == events


def test_truncated_xml_is_refused_whole_naming_the_line(grand_bend, tmp_path):
    data = edfi("StudentSchoolAttendance.xml").read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImportRefused) as refused:
        import_file(cut, create_students=True)
    assert "truncated at line" in refused.value.message
    assert not AttendanceRecord.objects.exists() and not Student.objects.exists()


def test_malformed_xml_is_refused_whole_naming_the_line(grand_bend, tmp_path):
    lines = edfi("StudentSchoolAttendance.xml").read_text().splitlines(keepends=True)
    bad_line = 1500
    lines[bad_line - 1] = "<Oops>\n"  # an element that is never closed
    bad = tmp_path / "bad.xml"
    bad.write_text("".join(lines))
    with pytest.raises(ImportRefused) as refused:
        import_file(bad, create_students=True)
    line = int(refused.value.message.split("at line ")[1].split(",")[0])
    assert line >= bad_line
    assert not AttendanceRecord.objects.exists() and not Student.objects.exists()


def test_a_bad_event_among_good_ones_is_named_and_refuses_the_file(grand_bend, tmp_path):
    text = edfi("StudentSchoolAttendance.xml").read_text()
    parts = text.split("<EventDate>")
    parts[700] = "2021-13-45" + parts[700][len("2021-08-31") :]  # the 700th event's date
    bad = tmp_path / "bad-date.xml"
    bad.write_text("<EventDate>".join(parts))
    with pytest.raises(ImportRefused) as refused:
        import_file(bad, create_students=True)
    assert [str(p) for p in refused.value.problems] == [
        "element StudentSchoolAttendanceEvent #700: no valid EventDate"
    ]
    assert not AttendanceRecord.objects.exists()


def test_a_file_of_the_wrong_format_is_refused(grand_bend, tmp_path):
    with pytest.raises(ImportRefused, match="looks like XML"):
        import_file(edfi("StudentSchoolAttendance.xml"), fmt="csv", school=grand_bend["gb1001"])
    other = tmp_path / "other.xml"
    other.write_text('<?xml version="1.0"?><html><body/></html>')
    with pytest.raises(ImportRefused, match="not an Ed-Fi interchange"):
        import_file(other)
    csv_file = tmp_path / "a.csv"
    csv_file.write_text("student_ref,date,session,code\n")
    with pytest.raises(ImportRefused, match="looks like CSV"):
        import_file(csv_file, fmt="edfi")


def test_a_file_over_the_size_limit_is_refused(grand_bend, settings):
    path = edfi("StudentSchoolAttendance.xml")
    settings.IMPORT_MAX_BYTES = path.stat().st_size - 1
    with pytest.raises(ImportRefused, match="IMPORT_MAX_BYTES"):
        import_file(path, create_students=True)
    assert not Student.objects.exists()


def test_the_python_sink_writes_what_the_postgresql_sink_writes(grand_bend):
    path = edfi("StudentSchoolAttendance.xml")

    def state():
        return sorted(
            AttendanceRecord.objects.values_list(
                "student__school__code",
                "student__code",
                "date",
                "session",
                "status",
                "original_code",
            )
        )

    python = import_file(path, create_students=True, force_python_sink=True)
    python_state = state()
    AttendanceRecord.objects.all().delete()
    Student.objects.all().delete()
    postgres = import_file(path, create_students=True)
    assert state() == python_state
    assert python.as_dict() == postgres.as_dict()
    again = import_file(path, create_students=True, force_python_sink=True)
    assert (again.created, again.updated) == (0, 0)


def test_an_event_dated_in_the_future_refuses_the_file(grand_bend, tmp_path):
    text = edfi("StudentSchoolAttendance.xml").read_text()
    future = (dt.date.today() + dt.timedelta(days=400)).isoformat()
    bad = tmp_path / "future.xml"
    bad.write_text(text.replace("<EventDate>2021-08-31<", f"<EventDate>{future}<", 1))
    with pytest.raises(ImportRefused) as refused:
        import_file(bad, create_students=True)
    (problem,) = refused.value.problems
    assert problem.where == "element StudentSchoolAttendanceEvent #1"
    assert "in the future" in problem.reason
    assert not AttendanceRecord.objects.exists()


def test_section_tardies_after_the_daily_file_change_nothing(grand_bend):
    # docs/IMPORTS.md: the sample's section tardies are the daily file's tardies again.
    import_file(edfi("StudentSchoolAttendance.xml"), create_students=True)
    before = _snapshot()
    report = import_file(edfi("StudentSectionAttendance-Tardy.xml"))
    assert (report.created, report.updated) == (0, 0)
    assert report.attendance["unchanged"] == 63
    assert dict(report.skipped) == {"weekend": 3}
    assert _snapshot() == before
