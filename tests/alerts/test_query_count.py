"""Evaluation is set-based: the number of SQL queries for a school does not grow with its
number of students."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.engine import evaluate
from alerts.services import evaluation_run, rule_preview
from schools.calendar import school_days_between
from schools.models import AttendanceRecord, AttendanceStatus, Role, Student
from tests.clock import fixed_dates
from tests.factories import MembershipFactory, SchoolFactory, TermFactory

from .conftest import ON, bulk_observations, rule, weeks

pytestmark = [pytest.mark.django_db, fixed_dates]


def _school(code: str, n_students: int, staff):
    """A school of `n_students`: two with the withdrawal pattern, the rest with ordinary
    records (a few observations and absences each), so the rows grow with the students."""
    school = SchoolFactory(code=code)
    TermFactory(school=school)
    school.designated_counsellor = staff[2]
    school.save(update_fields=["designated_counsellor"])
    students = Student.objects.bulk_create(
        Student(school=school, code=f"S-{n:04d}") for n in range(n_students)
    )
    rng = random.Random(n_students)
    w = weeks(school, count=4)
    rows, marks = [], []
    for i, student in enumerate(students):
        if i < 2:
            for week in w[1:]:
                rows.append((student, week[0], ["ISOLATION"], staff[0]))
                rows.append((student, week[2], ["DISTRESS"], staff[1]))
            continue
        for _ in range(3):
            day = rng.choice(rng.choice(w))
            rows.append((student, day, [rng.choice(["ISOLATION", "FATIGUE", "LATE"])], staff[0]))
        day = rng.choice(rng.choice(w))
        marks.append(
            AttendanceRecord(student=student, date=day, session="AM", status=AttendanceStatus.LATE)
        )
    bulk_observations(rows)
    AttendanceRecord.objects.bulk_create(marks)
    return school


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_the_same_number_of_queries_for_10_and_500_students(alice, tom, carol):
    small = _school("small", 10, (alice, tom, carol))
    large = _school("large", 500, (alice, tom, carol))

    engine_small = _queries(lambda: evaluate(school=small, on_date=ON))
    engine_large = _queries(lambda: evaluate(school=large, on_date=ON))
    assert engine_small == engine_large
    # The two patterned students match in both: the large school was really evaluated.
    assert len(evaluate(school=large, on_date=ON).matches) == 2

    # The whole run, opening the same two cases in each school.
    run_small = _queries(lambda: evaluation_run(school=small, on_date=ON))
    run_large = _queries(lambda: evaluation_run(school=large, on_date=ON))
    assert run_small == run_large
    # And a second run (nothing to do) as well.
    assert _queries(lambda: evaluation_run(school=small, on_date=ON)) == _queries(
        lambda: evaluation_run(school=large, on_date=ON)
    )

    preview_small = _queries(lambda: rule_preview(rule=rule(small, "irregular_sleep"), on_date=ON))
    preview_large = _queries(lambda: rule_preview(rule=rule(large, "irregular_sleep"), on_date=ON))
    assert preview_small == preview_large


def _patterned_school(code: str, patterned: int, staff):
    """A school of 30 students, `patterned` of them with the withdrawal pattern in every one
    of the last five school weeks up to ON, and on the days after it (so it still fires)."""
    school = SchoolFactory(code=code)
    TermFactory(school=school)
    MembershipFactory(school=school, user=staff[2], role=Role.COUNSELLOR)
    school.designated_counsellor = staff[2]
    school.save(update_fields=["designated_counsellor"])
    students = Student.objects.bulk_create(
        Student(school=school, code=f"S-{n:04d}") for n in range(30)
    )
    # Every school day from five weeks before ON to the week after it, alternating signs and
    # staff: each window of each day holds.
    first = weeks(school, count=5)[0][0]
    days = school_days_between(school, first, ON + dt.timedelta(days=7))
    rows = [
        (student, day, ["ISOLATION" if i % 2 else "DISTRESS"], staff[i % 2])
        for student in students[:patterned]
        for i, day in enumerate(days)
    ]
    bulk_observations(rows)
    return school


def test_the_writes_of_a_run_do_not_grow_with_its_cases(alice, tom, carol):
    """Opening 2 cases or 12, and bringing 2 or 12 open cases up to date on the next school
    days (their rules fire again: last fired, evidence, timeline), takes the same number of
    statements: the recipients are read once per school and every kind of row is written in
    one statement for all the school's cases."""
    from alerts.models import Case, Notification

    few = _patterned_school("few", 2, (alice, tom, carol))
    many = _patterned_school("many", 12, (alice, tom, carol))
    assert _queries(lambda: evaluation_run(school=few, on_date=ON)) == _queries(
        lambda: evaluation_run(school=many, on_date=ON)
    )
    assert Case.objects.filter(student__school=many).count() == 12
    assert Notification.objects.filter(case__student__school=many).count() == 12
    # The next school days: every case is updated (its rules fired again).
    for later in (ON + dt.timedelta(days=3), ON + dt.timedelta(days=4)):
        summaries = {}

        def run(school, later=later, summaries=summaries):
            summaries[school.code] = evaluation_run(school=school, on_date=later)

        assert _queries(lambda: run(few)) == _queries(lambda: run(many))
        assert len(summaries["many"].updated) == 12 and len(summaries["few"].updated) == 2
    assert set(
        Case.objects.filter(student__school=many).values_list("last_fired_on", flat=True)
    ) == {ON + dt.timedelta(days=4)}
    # Weeks later, quiet: clean weeks counted and resolution suggested for all, alike.
    quiet = ON + dt.timedelta(days=60)
    assert _queries(lambda: evaluation_run(school=few, on_date=quiet)) == _queries(
        lambda: evaluation_run(school=many, on_date=quiet)
    )
    assert not Case.objects.filter(student__school=many, clean_weeks=0).exists()
