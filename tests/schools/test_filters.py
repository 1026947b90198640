"""Filtering the lists by student, date range and sign, as a counsellor reads them."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import AttendanceRecordFactory, ObservationFactory, StudentFactory

from .helpers import result_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def days(school_a):
    today = school_a.today()
    return [today - dt.timedelta(days=n) for n in (30, 20, 10)]


@pytest.fixture
def observations(school_a, student_a, alice, days):
    other = StudentFactory(school=school_a, code="S-0043")
    return {
        "early": ObservationFactory(
            student=student_a, recorded_by=alice, observed_on=days[0], signs=["ISOLATION"]
        ),
        "middle": ObservationFactory(
            student=student_a,
            recorded_by=alice,
            observed_on=days[1],
            signs=["FATIGUE", "ISOLATION"],
        ),
        "late": ObservationFactory(
            student=student_a, recorded_by=alice, observed_on=days[2], signs=["FATIGUE"]
        ),
        "other": ObservationFactory(
            student=other, recorded_by=alice, observed_on=days[1], signs=["ISOLATION"]
        ),
    }


def _ids(observations, *names):
    return {observations[n].pk for n in names}


def test_observations_by_student(api, carol, observations):
    response = api.as_(carol).get("/api/observations/", {"student": "S-0043"})
    assert response.status_code == 200
    assert result_ids(response) == _ids(observations, "other")


def test_observations_by_date_range_inclusive(api, carol, observations, days):
    response = api.as_(carol).get(
        "/api/observations/", {"date_from": days[1].isoformat(), "date_to": days[2].isoformat()}
    )
    assert result_ids(response) == _ids(observations, "middle", "late", "other")
    response = api.as_(carol).get("/api/observations/", {"date_to": days[0].isoformat()})
    assert result_ids(response) == _ids(observations, "early")


def test_observations_by_sign_list_each_observation_once(api, carol, observations):
    response = api.as_(carol).get("/api/observations/", {"sign": "ISOLATION"})
    assert result_ids(response) == _ids(observations, "early", "middle", "other")
    assert response.json()["count"] == 3  # "middle" has two signs and is still one row


def test_filters_combine(api, carol, observations, days):
    response = api.as_(carol).get(
        "/api/observations/",
        {"student": "S-0042", "sign": "FATIGUE", "date_to": days[1].isoformat()},
    )
    assert result_ids(response) == _ids(observations, "middle")


def test_an_unknown_sign_filter_is_a_400_not_an_empty_list(api, carol, observations):
    response = api.as_(carol).get("/api/observations/", {"sign": "SULKING"})
    assert response.status_code == 400
    assert "sign" in response.json()


def test_attendance_by_student_and_date_range(api, adam, school_a, student_a, days):
    other = StudentFactory(school=school_a, code="S-0043")
    marks = [AttendanceRecordFactory(student=student_a, date=day) for day in days]
    AttendanceRecordFactory(student=other, date=days[1])
    response = api.as_(adam).get(
        "/api/attendance/",
        {"student": "S-0042", "date_from": days[1].isoformat(), "date_to": days[2].isoformat()},
    )
    assert response.status_code == 200
    assert result_ids(response) == {marks[1].pk, marks[2].pk}
