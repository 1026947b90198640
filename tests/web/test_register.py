"""The register: everyone present by default; only the exceptions are stored."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from schools.models import AttendanceRecord
from tests.factories import StudentFactory


@pytest.fixture
def year9(school_a):
    return [StudentFactory(school=school_a, code=f"S-09{i:02d}", year_group=9) for i in range(4)]


def _day(school):
    day = school.today() - dt.timedelta(days=1)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


@pytest.mark.django_db
def test_the_register_lists_the_year_group_everyone_present(as_user, alice, year9, school_a):
    StudentFactory(school=school_a, code="S-1099", year_group=10)
    day = _day(school_a)
    page = as_user(alice).get(
        reverse("register"), {"year_group": 9, "date": day.isoformat(), "session": "AM"}
    )
    html = page.content.decode()
    for s in year9:
        assert s.code in html
    assert "S-1099" not in html
    assert html.count('<option value="/" selected>') == len(year9)


@pytest.mark.django_db
def test_saving_stores_only_the_exceptions_and_a_change_back(as_user, alice, year9, school_a):
    day = _day(school_a)
    client = as_user(alice)
    base = {"year_group": 9, "date": day.isoformat(), "session": "AM"}
    marks = {f"mark-{s.pk}": "/" for s in year9}
    marks[f"mark-{year9[0].pk}"] = "L"
    marks[f"mark-{year9[1].pk}"] = "I"
    assert client.post(reverse("register"), {**base, **marks}).status_code == 302
    stored = {r.student_id: (r.status, r.original_code) for r in AttendanceRecord.objects.all()}
    assert stored == {
        year9[0].pk: ("late", "L"),
        year9[1].pk: ("authorised_absence", "I"),
    }
    assert all(
        r.recorded_by == alice and r.source == "register" for r in AttendanceRecord.objects.all()
    )
    # The late student was present after all: the record is set back, not left behind.
    marks[f"mark-{year9[0].pk}"] = "/"
    client.post(reverse("register"), {**base, **marks})
    assert AttendanceRecord.objects.get(student=year9[0]).status == "present"
    assert AttendanceRecord.objects.count() == 2


@pytest.mark.django_db
def test_an_unknown_mark_saves_nothing(as_user, alice, year9, school_a):
    day = _day(school_a)
    data = {"year_group": 9, "date": day.isoformat(), "session": "PM"}
    data[f"mark-{year9[0].pk}"] = "Z"
    data[f"mark-{year9[1].pk}"] = "O"
    as_user(alice).post(reverse("register"), data)
    assert not AttendanceRecord.objects.exists()


@pytest.mark.django_db
def test_no_register_on_a_day_the_school_is_closed(as_user, alice, year9, school_a):
    saturday = _day(school_a)
    while saturday.weekday() != 5:
        saturday -= dt.timedelta(days=1)
    response = as_user(alice).get(
        reverse("register"), {"year_group": 9, "date": saturday.isoformat(), "session": "AM"}
    )
    html = response.content.decode()
    assert "is not a school day" in html
    assert year9[0].code not in html
