"""The student page's attendance: each school week counted against the school calendar (holidays
and closures left out, a later mark for a session replacing the earlier), by hand and on the
page, and the Ed-Fi sample seen through it end to end."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
from django.core.management import call_command

from core.models import User
from schools.models import (
    AttendanceRecord,
    AttendanceStatus,
    ClosureDay,
    RecordSource,
    Student,
    Term,
)
from schools.selectors import AttendanceWeek, attendance_weeks_from, last_school_weeks
from tests.factories import (
    AttendanceRecordFactory,
    MembershipFactory,
    SchoolFactory,
    StudentFactory,
)
from tests.samples import edfi

from .pages import cells, student_page

D = dt.date
A, U = AttendanceStatus.AUTHORISED_ABSENCE, AttendanceStatus.UNAUTHORISED_ABSENCE
LATE, PRESENT, NOT_REQ = (
    AttendanceStatus.LATE,
    AttendanceStatus.PRESENT,
    AttendanceStatus.NOT_REQUIRED,
)


# --- who may open it ------------------------------------------------------------------------


# --- the counting, without the database -----------------------------------------------------


def test_last_school_weeks_skips_weeks_without_school_days():
    days = [D(2025, 10, 20), D(2025, 10, 24), D(2025, 11, 3), D(2025, 11, 4), D(2025, 10, 13)]
    assert last_school_weeks(days, 2) == [
        D(2025, 10, 20),
        D(2025, 10, 24),
        D(2025, 11, 3),
        D(2025, 11, 4),
    ]
    assert last_school_weeks(days, 1) == [D(2025, 11, 3), D(2025, 11, 4)]
    assert last_school_weeks(days, 0) == []
    assert last_school_weeks([], 12) == []


def test_counting_a_week_by_hand():
    # Mon 6 to Wed 8 Oct 2025 are school days (Thu and Fri are not, say a closure and a holiday).
    days = [D(2025, 10, 6), D(2025, 10, 7), D(2025, 10, 8)]
    marks = [
        (D(2025, 10, 6), "AM", U),
        (D(2025, 10, 6), "PM", A),
        (D(2025, 10, 7), "AM", LATE),
        (D(2025, 10, 7), "PM", PRESENT),  # an explicit present changes nothing
        (D(2025, 10, 8), "AM", NOT_REQ),
        (D(2025, 10, 9), "AM", U),  # not a school day: not counted
        (D(2025, 10, 11), "PM", A),  # a Saturday: not counted
    ]
    [week] = attendance_weeks_from(school_days=days, marks=marks)
    # 3 days x 2 sessions, less one not required = 5; of those 1 U, 1 A, 1 late, 2 present.
    assert week == AttendanceWeek(
        starts_on=D(2025, 10, 6),
        school_days=3,
        possible=5,
        present=2,
        late=1,
        authorised=1,
        unauthorised=1,
    )
    assert week.attended == 3
    assert week.rate == 60.0


def test_a_week_with_no_marks_is_all_present_and_a_later_mark_for_a_session_replaces():
    days = [D(2025, 10, 13) + dt.timedelta(days=i) for i in range(5)]
    [week] = attendance_weeks_from(school_days=days, marks=[])
    assert (week.possible, week.present, week.rate) == (10, 10, 100.0)
    [week] = attendance_weeks_from(
        school_days=days, marks=[(days[0], "AM", U), (days[0], "AM", LATE)]
    )
    assert (week.late, week.unauthorised, week.present) == (1, 0, 9)
    # Every session not required: nothing possible, no rate rather than a division by zero.
    [week] = attendance_weeks_from(
        school_days=days[:1], marks=[(days[0], "AM", NOT_REQ), (days[0], "PM", NOT_REQ)]
    )
    assert (week.possible, week.rate) == (0, None)


# --- the page against a hand-made calendar --------------------------------------------------


@pytest.fixture
def east(db):
    """A school with an autumn half-term holiday (27-31 Oct 2025) and a closure day on
    Wednesday 15 Oct 2025, its counsellor, and one student."""
    school = SchoolFactory(code="east", name="East College")
    Term.objects.create(
        school=school, name="Autumn 1", starts_on=D(2025, 9, 1), ends_on=D(2025, 10, 24)
    )
    Term.objects.create(
        school=school, name="Autumn 2", starts_on=D(2025, 11, 3), ends_on=D(2025, 12, 19)
    )
    ClosureDay.objects.create(school=school, date=D(2025, 10, 15), reason="Training day")
    counsellor = MembershipFactory(school=school, role="counsellor").user
    student = StudentFactory(school=school, code="E-0001")
    return school, counsellor, student


def _mark(student, day, session, status, **extra):
    return AttendanceRecordFactory(
        student=student, date=day, session=session, status=status, **extra
    )


@pytest.mark.django_db
def test_the_week_summary_skips_the_holiday_and_the_closure(as_user, east):
    _, counsellor, student = east
    _mark(student, D(2025, 10, 10), "AM", U)  # before the span: neither counted nor listed
    _mark(student, D(2025, 10, 13), "AM", U, original_code="O")
    _mark(student, D(2025, 10, 13), "PM", A, original_code="I")
    _mark(student, D(2025, 10, 14), "AM", LATE, original_code="L")
    _mark(student, D(2025, 10, 15), "AM", U)  # the closure day
    _mark(student, D(2025, 10, 16), "PM", NOT_REQ, original_code="X")
    _mark(student, D(2025, 10, 21), "AM", PRESENT)
    _mark(student, D(2025, 10, 28), "AM", U)  # the half-term holiday
    _mark(student, D(2025, 11, 4), "AM", LATE, source=RecordSource.IMPORT_CSV, original_code="L")
    _mark(
        student,
        D(2025, 11, 4),
        "PM",
        U,
        source=RecordSource.IMPORT_EDFI,
        original_code="Unexcused Absence",
    )
    _mark(student, D(2025, 11, 10), "AM", U)  # after `until`
    response = student_page(as_user(counsellor), student, until="2025-11-07", weeks=3)
    assert response.status_code == 200
    html = response.content.decode()

    # Three school weeks: 13 Oct (four days, the Wednesday closed), 20 Oct, then the holiday
    # week is skipped and 3 Nov is the third.
    # week of:      possible present late  A  U   rate
    expected = [
        ["13 Oct", "7", "4", "1", "1", "1", "71.4 %"],  # 8 sessions, 1 not required
        ["20 Oct", "10", "10", "0", "0", "0", "100.0 %"],
        ["3 Nov", "10", "8", "1", "0", "1", "90.0 %"],
    ]
    assert cells(html, "week-row") == expected
    assert cells(html, "totals-row") == [["All", "27", "22", "2", "1", "2", "88.9 %"]]
    assert response.context["attendance"].start == D(2025, 10, 13)

    # Every stored mark from Monday 13 Oct to 7 Nov, newest first, with code and source, the
    # ones the week summary leaves out (closure, holiday) included.
    marks = cells(html, "mark-row")
    assert [m[0] for m in marks] == [
        "Tue 4 Nov 2025",
        "Tue 4 Nov 2025",
        "Tue 28 Oct 2025",
        "Tue 21 Oct 2025",
        "Thu 16 Oct 2025",
        "Wed 15 Oct 2025",
        "Tue 14 Oct 2025",
        "Mon 13 Oct 2025",
        "Mon 13 Oct 2025",
    ]
    assert marks[0] == ["Tue 4 Nov 2025", "Morning", "Late", "L", "CSV import"]
    assert marks[1] == [
        "Tue 4 Nov 2025",
        "Afternoon",
        "Unauthorised absence",
        "Unexcused Absence",
        "Ed-Fi import",
    ]
    assert marks[-1] == ["Mon 13 Oct 2025", "Afternoon", "Authorised absence", "I", "Register"]


# --- end to end: the Ed-Fi sample imported into the demo school -----------------------------


def _school_days(school, start: dt.date, end: dt.date) -> list[dt.date]:
    """Counted here from the Term and ClosureDay rows, apart from schools.calendar."""
    terms = list(Term.objects.filter(school=school).values_list("starts_on", "ends_on"))
    closed = set(ClosureDay.objects.filter(school=school).values_list("date", flat=True))
    days, day = [], start
    while day <= end:
        if day.weekday() < 5 and day not in closed and any(s <= day <= e for s, e in terms):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


@pytest.mark.django_db
def test_the_imported_ed_fi_attendance_shows_on_the_demo_students_page(as_user, settings):
    from schools.demo import seed_demo

    calendar, attendance = (
        edfi("EducationOrgCalendar.xml"),
        edfi("StudentSchoolAttendance.xml"),
    )
    settings.PSEUDONYM_KEY = settings.PSEUDONYM_KEY or "test-pseudonym-key"
    demo = seed_demo().school
    assert demo.edfi_school_id == 255901107
    out = io.StringIO()
    call_command(
        "import_records",
        str(calendar),
        "--school",
        "demo",
        "--create-students",
        stdout=out,
        stderr=io.StringIO(),
    )
    call_command(
        "import_records",
        str(attendance),
        "--school",
        "demo",
        "--create-students",
        stdout=out,
        stderr=io.StringIO(),
    )

    imported = AttendanceRecord.objects.filter(
        student__school=demo, source=RecordSource.IMPORT_EDFI
    )
    assert imported.exists()
    # The imported student with the most marks; look at the year up to its last one.
    top = Counter(imported.values_list("student_id", flat=True)).most_common(1)[0][0]
    student = Student.objects.get(pk=top)
    rows = list(AttendanceRecord.objects.filter(student=student))
    until = max(r.date for r in rows)
    assert until.year in (2021, 2022)

    counsellor = User.objects.get(email="counsellor@demo.school")
    response = student_page(as_user(counsellor), student, until=until.isoformat(), weeks=52)
    assert response.status_code == 200
    html = response.content.decode()
    start = response.context["attendance"].start
    assert start.weekday() == 0

    days = set(_school_days(demo, start, until))
    assert days, "the sample's calendar gives the demo school days in 2021-22"
    in_span = [r for r in rows if start <= r.date <= until]
    counted = Counter(r.status for r in in_span if r.date in days)
    possible = 2 * len(days) - counted[NOT_REQ]
    absent = counted[A] + counted[U]
    assert absent > 0
    rate = f"{round(100.0 * (possible - absent) / possible, 1)} %"
    [totals] = cells(html, "totals-row")
    assert totals[1:] == [
        str(possible),
        str(possible - counted[LATE] - absent),
        str(counted[LATE]),
        str(counted[A]),
        str(counted[U]),
        rate,
    ]
    # Every imported mark of the span is listed with the Ed-Fi category it came with.
    marks = cells(html, "mark-row")
    assert len(marks) == len(in_span)
    assert {m[3] for m in marks} == {r.original_code for r in in_span}
    assert {m[4] for m in marks} == {"Ed-Fi import"}
    categories = {r.original_code for r in in_span}
    assert categories & {"Excused Absence", "Unexcused Absence"}
    for category in categories:
        assert category in html
