"""Scenario helpers for the rule tests.

Dates are fixed inside school_a's term on the day these scenarios run on (tests/clock.py
`fixed_dates`: 1 Sep 2025 - 31 Jul 2027), so a scenario reads the same whatever day it is.
`weeks()` counts school weeks back from the evaluation date on the school's own calendar
(closures skipped), the way the documented rules define them.
"""

from __future__ import annotations

import datetime as dt

import pytest

from alerts.models import WarningRule
from schools.calendar import school_days_between
from schools.models import AttendanceRecord, Observation, ObservationSign
from tests.factories import AttendanceRecordFactory, ObservationFactory, StudentFactory

# A Friday in term: the evaluation date of most scenarios.
ON = dt.date(2026, 3, 27)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def north(school_a, carol):
    """School A with carol as its designated counsellor."""
    school_a.designated_counsellor = carol
    school_a.save(update_fields=["designated_counsellor"])
    return school_a


@pytest.fixture
def student(north):
    return StudentFactory(school=north, code="S-0101")


def weeks(school, on: dt.date = ON, count: int = 4, size: int = 5) -> list[list[dt.date]]:
    """The last `count` blocks of `size` school days up to `on`, oldest first."""
    days = school_days_between(school, on - dt.timedelta(days=500), on)[-count * size :]
    assert len(days) == count * size, "the calendar does not reach back far enough"
    return [days[i * size : (i + 1) * size] for i in range(count)]


def observe(student, day: dt.date, signs, by) -> Observation:
    return ObservationFactory(student=student, observed_on=day, signs=list(signs), recorded_by=by)


def mark(student, day: dt.date, status: str, session: str = "AM") -> AttendanceRecord:
    return AttendanceRecordFactory(student=student, date=day, session=session, status=status)


def withdrawal_week(student, week, first, second) -> None:
    """Two observations of two different withdrawal signs by two members of staff."""
    observe(student, week[0], ["ISOLATION"], first)
    observe(student, week[2], ["DISTRESS"], second)


def pattern(student, school, on=ON, count=3, first=None, second=None) -> None:
    """`count` school weeks of the withdrawal pattern, the last ending on `on`."""
    for week in weeks(school, on=on, count=count):
        withdrawal_week(student, week, first, second)


def rule(school, key: str) -> WarningRule:
    return WarningRule.objects.get(school=school, key=key)


def bulk_observations(rows) -> None:
    """(student, day, signs, by) rows in two queries, for scenarios with many students."""
    observations = Observation.objects.bulk_create(
        Observation(student=s, observed_on=d, recorded_by=by) for s, d, _signs, by in rows
    )
    ObservationSign.objects.bulk_create(
        ObservationSign(observation=o, sign=sign)
        for o, (_s, _d, signs, _by) in zip(observations, rows, strict=True)
        for sign in signs
    )
