"""Values of the wrong JSON type and dates outside the service's range are refused with a clear
answer, never a server error: a batch row whose `school` is not a string, and a date before
RECORDS_EARLIEST_DATE (2000-01-01 by default) on every API field and page that takes one,
including year 1, whose weeks-back arithmetic used to overflow."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from alerts.models import WarningRule
from schools.models import AttendanceRecord, Observation

from .helpers import changed_tables, table_counts

pytestmark = pytest.mark.django_db

NOT_STRINGS = [{"code": "north"}, ["north"], 7, True]


def _observation(at, **changes) -> dict:
    row = {
        "student": "S-0042",
        "observed_on": (at.today() - dt.timedelta(days=1)).isoformat(),
        "signs": ["ISOLATION"],
    }
    return row | changes


def _mark(at, **changes) -> dict:
    row = {
        "student": "S-0042",
        "date": (at.today() - dt.timedelta(days=1)).isoformat(),
        "session": "AM",
        "status": "unauthorised_absence",
    }
    return row | changes


@pytest.mark.parametrize("school", NOT_STRINGS, ids=["object", "list", "number", "boolean"])
def test_a_batch_row_whose_school_is_not_a_string_is_refused(
    api, alice, school_a, student_a, school
):
    client = api.as_(alice)
    counts = table_counts()
    for path, key, row in (
        ("/api/observations/batch/", "observations", _observation(school_a, school=school)),
        ("/api/attendance/batch/", "records", _mark(school_a, school=school)),
    ):
        good = _observation(school_a) if key == "observations" else _mark(school_a, session="PM")
        response = client.post(path, {key: [good, row]}, format="json")
        assert response.status_code == 400, (path, response.content)
        errors = response.json()["errors"]
        assert {(e["row"], e["field"]) for e in errors} == {(2, "school")}, errors
    assert not changed_tables(counts)


EARLY = ["0001-01-01", "1999-12-31"]


@pytest.mark.parametrize("day", EARLY)
def test_api_dates_before_the_earliest_are_refused(api, alice, adam, school_a, student_a, day):
    counts = table_counts()
    teacher = api.as_(alice)
    one = teacher.post("/api/observations/", _observation(school_a, observed_on=day), format="json")
    assert one.status_code == 400
    assert "2000-01-01" in " ".join(one.json()["observed_on"])
    batch = teacher.post(
        "/api/attendance/batch/", {"records": [_mark(school_a, date=day)]}, format="json"
    )
    assert batch.status_code == 400
    assert batch.json()["errors"][0]["field"] == "date"
    rule = WarningRule.objects.filter(school=school_a).first()
    preview = api.as_(adam).post(f"/api/rules/{rule.pk}/preview/", {"on_date": day}, format="json")
    assert preview.status_code == 400
    assert "earliest date" in " ".join(preview.json()["on_date"])
    assert not changed_tables(counts)


def test_the_earliest_date_is_a_setting(api, alice, school_a, student_a, settings):
    settings.RECORDS_EARLIEST_DATE = dt.date(2020, 9, 1)
    response = api.as_(alice).post(
        "/api/observations/", _observation(school_a, observed_on="2020-08-31"), format="json"
    )
    assert response.status_code == 400
    assert "2020-09-01" in " ".join(response.json()["observed_on"])


def test_a_far_future_preview_date_is_refused(api, adam, school_a):
    rule = WarningRule.objects.filter(school=school_a).first()
    response = api.as_(adam).post(
        f"/api/rules/{rule.pk}/preview/", {"on_date": "9999-12-31"}, format="json"
    )
    assert response.status_code == 400
    assert "future" in " ".join(response.json()["on_date"])


@pytest.mark.parametrize("day", ["0001-01-03", "1999-12-31"])
def test_the_student_page_refuses_an_early_date_and_shows_the_default_span(carol, student_a, day):
    client = Client()
    client.force_login(carol)
    response = client.get(reverse("student-detail", args=[student_a.pk]), {"until": day})
    assert response.status_code == 200
    assert "until" in response.context["form"].errors
    assert "2000-01-01" in response.content.decode()
    assert response.context["until"] == student_a.school.today()


def test_the_observation_and_register_forms_refuse_an_early_date(alice, student_a):
    client = Client()
    client.force_login(alice)
    observed = client.post(
        reverse("observe"),
        {"student": "S-0042", "signs": ["ISOLATION"], "observed_on": "0001-01-01"},
    )
    assert observed.status_code == 200
    assert "observed_on" in observed.context["form"].errors
    register = client.get(
        reverse("register"), {"year_group": 9, "date": "0001-01-01", "session": "AM"}
    )
    assert register.status_code == 200
    assert not Observation.objects.exists() and not AttendanceRecord.objects.exists()
