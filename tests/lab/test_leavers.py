"""A student who left is judged for the days they were on roll: the preview and the backtest
of a date before they left include them, and the date they left is recorded."""

from __future__ import annotations

import datetime as dt

import pytest

from alerts.backtest import Period, backtest_compute
from alerts.models import Outcome
from alerts.services import rule_preview
from core.models import AuditEvent
from schools.calendar import school_days_between
from schools.models import AttendanceRecord, Student
from schools.services import student_deactivate

from .conftest import absence_rule

pytestmark = pytest.mark.django_db

LEFT = dt.date(2026, 3, 20)


@pytest.fixture
def leaver(school_a):
    student = Student.objects.create(school=school_a, code="S-0500")
    for day in school_days_between(school_a, LEFT - dt.timedelta(days=40), LEFT):
        AttendanceRecord.objects.create(
            student=student, date=day, session="AM", status="unauthorised_absence"
        )
    return student


def test_a_leaver_is_in_the_preview_of_a_day_they_were_on_roll(school_a, leaver, adam):
    rule = absence_rule(school_a, weeks=3)
    student_deactivate(student=leaver, left_on=LEFT, by=adam)
    leaver.refresh_from_db()
    assert (leaver.is_active, leaver.left_on) == (False, LEFT)
    assert AuditEvent.objects.filter(action="student.left", object_id=leaver.pk).exists()

    on_roll = rule_preview(rule=rule, on_date=LEFT, history_school_days=20)
    assert [s.code for s in on_roll.flagged_on_date] == ["S-0500"]
    # A week after they left they are no longer flagged on that day, though the days before
    # still show when the rule first caught them.
    later = rule_preview(rule=rule, on_date=LEFT + dt.timedelta(days=7), history_school_days=25)
    (row,) = later.students
    assert not row.flagged_on_date and row.first_fired_on == on_roll.students[0].first_fired_on


def test_a_backtest_counts_a_leaver_caught_before_they_left(school_a, leaver):
    rule = absence_rule(school_a, weeks=3)
    Outcome.objects.create(student=leaver, kind="left_school", on_date=LEFT, source="import")
    student_deactivate(student=leaver, left_on=LEFT)
    result = backtest_compute(rule=rule, period=Period(dt.date(2026, 1, 5), LEFT), min_lead_weeks=1)
    (row,) = result["students"]
    assert row["student"] == "S-0500" and row["verdict"] == "true_positive"
    assert row["lead_weeks"] >= 1


def test_the_date_left_through_the_api(api, school_a, leaver, adam):
    client = api.as_(adam)
    future = (school_a.today() + dt.timedelta(days=3)).isoformat()
    response = client.post(f"/api/students/{leaver.pk}/deactivate/", {"left_on": future})
    assert response.status_code == 400
    response = client.post(f"/api/students/{leaver.pk}/deactivate/", {"left_on": LEFT.isoformat()})
    assert response.status_code == 200 and response.json()["left_on"] == LEFT.isoformat()
