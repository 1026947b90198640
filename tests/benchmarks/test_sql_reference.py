"""The benchmark's one-query SQL decision (benchmarks/sql_reference.py) decides what the
engine decides, so the ratio `make bench` prints compares the engine with its own logic.

On generated schools (benchmarks/seed.py, with episodes made common so every default rule has
students to find) and on hand-made edge cases whose answer docs/RULES.md states.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from alerts.models import CaseStatus, WarningRule
from benchmarks import seed, sql_reference
from schools.calendar import school_days_between
from schools.models import AttendanceRecord, Observation, ObservationSign, School, Student
from tests.factories import CaseFactory, UserFactory

# Episodes of every pattern common enough that a small school has several of each.
COMMON = seed.Rates(chronic=0.25, sleep=0.25, withdrawal=0.3, ongoing=0.7)


def _rule_ids(school: School) -> dict[str, int]:
    return dict(WarningRule.objects.filter(school=school).values_list("key", "pk"))


@pytest.mark.parametrize(
    ("on_date", "rng_seed"),
    [
        (dt.date(2026, 3, 25), 1),  # mid-term, a Wednesday: windows are not Monday-Friday
        (dt.date(2026, 4, 21), 2),  # a week after the Easter holiday: windows straddle it
        (dt.date(2025, 11, 3), 3),  # the Monday after the closure day and half-term week
    ],
)
def test_sql_decision_equals_the_engine_on_a_generated_school(db, on_date, rng_seed):
    made = seed.seed_school(
        "gen", students=90, on_date=on_date, rng=random.Random(rng_seed), rates=COMMON
    )
    school = made.schools[0]

    engine = sql_reference.engine_decisions(school, on_date)
    sql = sql_reference.decide(school.pk, on_date)

    assert sql == engine
    # Every default rule found students, so each part of the query was exercised.
    assert {rule for _, rule in engine} == set(_rule_ids(school).values())


@pytest.fixture
def school(db):
    made = seed.seed_school("edge", students=0, on_date=dt.date(2026, 3, 27), rng=random.Random(0))
    return made.schools[0]


ON = dt.date(2026, 3, 27)  # a Friday in the spring term


def _weeks(school, count):
    days = school_days_between(school, ON - dt.timedelta(days=200), ON)[-count * 5 :]
    return [days[i * 5 : (i + 1) * 5] for i in range(count)]


def _mark(student, day, status, session="AM"):
    AttendanceRecord.objects.create(student=student, date=day, session=session, status=status)


def _observe(student, day, signs, by, withdrawn=False):
    observation = Observation.objects.create(
        student=student,
        observed_on=day,
        recorded_by=by,
        withdrawn_at=dt.datetime(2026, 3, 27, 12, tzinfo=dt.UTC) if withdrawn else None,
    )
    ObservationSign.objects.bulk_create(
        ObservationSign(observation=observation, sign=s) for s in signs
    )


def test_the_edges_the_rules_document(school):
    rules = _rule_ids(school)
    alice, tom = UserFactory(), UserFactory()
    students = {
        code: Student.objects.create(school=school, code=code, year_group=9)
        for code in (
            "S-0090",
            "S-0089",
            "S-0087",
            "S-0002",
            "S-0001",
            "S-0003",
            "S-0004",
            "S-0010",
            "S-0011",
        )
    }
    weeks4 = _weeks(school, 4)
    for week in weeks4:
        # Exactly 90% every week (one absence in ten sessions): does not fire.
        _mark(students["S-0090"], week[0], "authorised_absence")
        # 80%: fires.
        _mark(students["S-0089"], week[0], "authorised_absence")
        _mark(students["S-0089"], week[1], "unauthorised_absence", "PM")
        # One absence, two sessions not required: 7 of 8 possible, 87.5%: fires.
        _mark(students["S-0087"], week[0], "authorised_absence")
        _mark(students["S-0087"], week[3], "not_required")
        _mark(students["S-0087"], week[3], "not_required", "PM")
    weeks3 = weeks4[1:]
    for week in weeks3:
        # Two observations a week, two signs, two members of staff: fires.
        _observe(students["S-0002"], week[0], ["ISOLATION"], alice)
        _observe(students["S-0002"], week[2], ["DISTRESS"], tom)
        # The same seen by one member of staff only: does not fire.
        _observe(students["S-0001"], week[0], ["ISOLATION"], alice)
        _observe(students["S-0001"], week[2], ["DISTRESS"], alice)
        # Two observers, but one observation of each week withdrawn: does not fire.
        _observe(students["S-0003"], week[0], ["ISOLATION"], alice)
        _observe(students["S-0003"], week[2], ["DISTRESS"], tom, withdrawn=True)
    for week in _weeks(school, 2):
        # Late in the register on three days of each week: irregular sleep fires...
        for day in week[:3]:
            _mark(students["S-0004"], day, "late")
            _mark(students["S-0010"], day, "late")
    # ...unless the student is no longer active.
    Student.objects.filter(pk=students["S-0010"].pk).update(is_active=False)
    # Fired before, resolved on the Friday of the last week but one: only later records count,
    # and two weeks of late marks alone are not enough after that.
    for week in _weeks(school, 2):
        for day in week[:3]:
            _mark(students["S-0011"], day, "late")
    CaseFactory(
        student=students["S-0011"],
        evidence_on=ON - dt.timedelta(days=10),
        status=CaseStatus.RESOLVED,
        resolved_at=dt.datetime(2026, 3, 20, 17, tzinfo=dt.UTC),
    )
    expected = {
        (students["S-0089"].pk, rules["avoiding_school"]),
        (students["S-0087"].pk, rules["avoiding_school"]),
        (students["S-0002"].pk, rules["persistent_withdrawal"]),
        (students["S-0004"].pk, rules["irregular_sleep"]),
    }
    resolved = {students["S-0011"].pk: dt.date(2026, 3, 20)}

    assert sql_reference.decide(school.pk, ON) == expected
    assert sql_reference.engine_decisions(school, ON, not_before=resolved) == expected
