"""Evaluation is set-based: the number of SQL queries for a school does not grow with its
number of students."""

from __future__ import annotations

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.engine import evaluate
from alerts.services import evaluation_run, rule_preview
from schools.models import AttendanceRecord, AttendanceStatus, Student
from tests.clock import fixed_dates
from tests.factories import SchoolFactory, TermFactory

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
