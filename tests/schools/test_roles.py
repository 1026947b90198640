"""Who may do what inside one school (school A: alice and tom teach, carol counsels, adam
administers, ivan is the information system's integration account)."""

from __future__ import annotations

import datetime as dt

import pytest

from schools.models import AttendanceRecord, Observation, Role, Student
from tests.factories import MembershipFactory, ObservationFactory, StudentFactory, UserFactory

from .helpers import changed_tables, result_ids, table_counts

pytestmark = pytest.mark.django_db


def _yesterday(school) -> dt.date:
    return school.today() - dt.timedelta(days=1)


@pytest.fixture
def notes(school_a, student_a, alice, tom):
    """One observation by alice and one by tom, about the same student."""
    return {
        "alice": ObservationFactory(
            student=student_a, recorded_by=alice, observed_on=_yesterday(school_a)
        ),
        "tom": ObservationFactory(
            student=student_a, recorded_by=tom, observed_on=_yesterday(school_a)
        ),
    }


# --- observations: who reads which -------------------------------------------------------


def test_a_teacher_lists_only_their_own_observations(api, alice, notes):
    response = api.as_(alice).get("/api/observations/")
    assert response.status_code == 200
    assert result_ids(response) == {notes["alice"].pk}


def test_a_teacher_cannot_open_another_teachers_observation(api, alice, notes):
    assert api.as_(alice).get(f"/api/observations/{notes['tom'].pk}/").status_code == 404
    assert api.as_(alice).get(f"/api/observations/{notes['alice'].pk}/").status_code == 200


def test_a_teacher_cannot_filter_their_way_to_another_teachers_observations(api, alice, notes):
    response = api.as_(alice).get("/api/observations/", {"student": "S-0042"})
    assert result_ids(response) == {notes["alice"].pk}


@pytest.mark.parametrize("reader", ["carol", "adam"])
def test_counsellors_and_admins_read_the_schools_observations(request, api, notes, reader):
    response = api.as_(request.getfixturevalue(reader)).get("/api/observations/")
    assert response.status_code == 200
    assert result_ids(response) == {notes["alice"].pk, notes["tom"].pk}


def test_the_integration_account_reads_no_observations(api, ivan, notes):
    assert api.as_(ivan).get("/api/observations/").status_code == 403
    assert api.as_(ivan).get(f"/api/observations/{notes['alice'].pk}/").status_code == 403


def test_roles_are_per_school(api, school_a, school_b, student_a, student_b, alice, bob):
    """Teacher at A and counsellor at B: own notes at A, every note at B."""
    dana = UserFactory(email="dana@both.test")
    MembershipFactory(user=dana, school=school_a, role=Role.TEACHER)
    MembershipFactory(user=dana, school=school_b, role=Role.COUNSELLOR)
    own_a = ObservationFactory(student=student_a, recorded_by=dana)
    others_a = ObservationFactory(student=student_a, recorded_by=alice)
    others_b = ObservationFactory(student=student_b, recorded_by=bob)
    response = api.as_(dana).get("/api/observations/")
    assert result_ids(response) == {own_a.pk, others_b.pk}
    assert api.as_(dana).get(f"/api/observations/{others_a.pk}/").status_code == 404


def test_an_anonymous_caller_gets_nothing(api, notes, student_a):
    for url in ("/api/observations/", "/api/students/", f"/api/students/{student_a.pk}/"):
        assert api.get(url).status_code in (401, 403), url


def test_a_user_without_a_role_anywhere_gets_nothing(api, notes, student_a):
    stranger = UserFactory(email="stranger@nowhere.test")
    client = api.as_(stranger)
    assert client.get("/api/students/").status_code == 403
    assert client.get("/api/observations/").status_code == 403
    assert client.get(f"/api/students/{student_a.pk}/").status_code == 403


# --- students: staff read, school admins and the integration write ------------------------


@pytest.mark.parametrize("name", ["alice", "carol", "adam", "ivan"])
def test_all_staff_of_the_school_can_read_its_students(request, api, student_a, name):
    response = api.as_(request.getfixturevalue(name)).get("/api/students/")
    assert response.status_code == 200
    assert result_ids(response) == {student_a.pk}


@pytest.mark.parametrize("name", ["alice", "carol"])
def test_teachers_and_counsellors_cannot_write_students(request, api, student_a, name):
    client = api.as_(request.getfixturevalue(name))
    counts = table_counts()
    responses = [
        client.post("/api/students/", {"code": "S-7001", "year_group": 7}),
        client.put(f"/api/students/{student_a.pk}/", {"year_group": 11}),
        client.patch(f"/api/students/{student_a.pk}/", {"year_group": 11}),
        client.post(f"/api/students/{student_a.pk}/deactivate/"),
    ]
    assert [r.status_code for r in responses] == [403, 403, 403, 403]
    assert not changed_tables(counts)
    student_a.refresh_from_db()
    assert (student_a.year_group, student_a.is_active) == (9, True)


@pytest.mark.parametrize("name", ["adam", "ivan"])
def test_admins_and_the_integration_write_students(request, api, school_a, student_a, name):
    client = api.as_(request.getfixturevalue(name))
    created = client.post("/api/students/", {"code": "S-7001", "year_group": 7})
    assert created.status_code == 201, created.content
    assert created.json()["school"] == school_a.code
    assert Student.objects.filter(school=school_a, code="S-7001", year_group=7).exists()

    updated = client.patch(f"/api/students/{student_a.pk}/", {"year_group": 10})
    assert updated.status_code == 200, updated.content
    assert updated.json()["year_group"] == 10

    deactivated = client.post(f"/api/students/{student_a.pk}/deactivate/")
    assert deactivated.status_code == 200
    student_a.refresh_from_db()
    assert (student_a.year_group, student_a.is_active) == (10, False)


def test_an_admin_cannot_change_a_students_code_or_school(api, adam, student_a, school_b):
    response = api.as_(adam).patch(
        f"/api/students/{student_a.pk}/", {"code": "S-9999", "school": school_b.pk}
    )
    assert response.status_code == 200
    student_a.refresh_from_db()
    assert (student_a.code, student_a.school_id) == ("S-0042", student_a.school.pk)


# --- observations and attendance: who writes ----------------------------------------------


def _observation(school):
    return {
        "student": "S-0042",
        "observed_on": _yesterday(school).isoformat(),
        "signs": ["ISOLATION"],
    }


@pytest.mark.parametrize("name", ["alice", "carol", "adam"])
def test_staff_record_observations(request, api, school_a, student_a, name):
    user = request.getfixturevalue(name)
    response = api.as_(user).post("/api/observations/", _observation(school_a))
    assert response.status_code == 201, response.content
    assert student_a.observations.filter(recorded_by=user).count() == 1


def test_the_integration_account_records_no_observations(api, ivan, school_a, student_a):
    counts = table_counts()
    assert api.as_(ivan).post("/api/observations/", _observation(school_a)).status_code == 403
    batch = {"observations": [_observation(school_a)]}
    assert api.as_(ivan).post("/api/observations/batch/", batch).status_code == 403
    assert not changed_tables(counts)


def _marks(school):
    return {
        "records": [
            {
                "student": "S-0042",
                "date": _yesterday(school).isoformat(),
                "session": "AM",
                "status": "late",
                "original_code": "L",
            }
        ]
    }


@pytest.mark.parametrize("name", ["alice", "adam", "ivan"])
def test_teachers_admins_and_the_integration_write_attendance(
    request, api, school_a, student_a, name
):
    response = api.as_(request.getfixturevalue(name)).post(
        "/api/attendance/batch/", _marks(school_a)
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0}
    record = AttendanceRecord.objects.get(student=student_a)
    assert (record.status, record.original_code, record.source) == ("late", "L", "api")


def test_a_counsellor_does_not_take_the_register(api, carol, school_a, student_a):
    counts = table_counts()
    assert api.as_(carol).post("/api/attendance/batch/", _marks(school_a)).status_code == 403
    assert not changed_tables(counts)


def test_attendance_is_read_by_staff_not_by_the_integration(api, alice, ivan, school_a, student_a):
    api.as_(alice).post("/api/attendance/batch/", _marks(school_a))
    assert len(result_ids(api.as_(alice).get("/api/attendance/"))) == 1
    assert api.as_(ivan).get("/api/attendance/").status_code == 403


def test_every_list_is_paginated(api, adam, school_a):
    StudentFactory.create_batch(3, school=school_a)
    response = api.as_(adam).get("/api/students/", {"page_size": 2})
    body = response.json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"]


def test_an_admin_elsewhere_cannot_write_this_schools_students(api, school_a, school_b, student_a):
    """Admin at B, teacher at A: reads A's students, writes none of them."""
    dual = UserFactory(email="dual@both.test")
    MembershipFactory(user=dual, school=school_a, role=Role.TEACHER)
    MembershipFactory(user=dual, school=school_b, role=Role.SCHOOL_ADMIN)
    client = api.as_(dual)
    assert client.get(f"/api/students/{student_a.pk}/").status_code == 200
    counts = table_counts()
    assert client.patch(f"/api/students/{student_a.pk}/", {"year_group": 11}).status_code == 403
    assert client.post(f"/api/students/{student_a.pk}/deactivate/").status_code == 403
    refused = client.post("/api/students/", {"school": "north", "code": "S-7002"})
    assert refused.status_code == 400
    assert "school" in refused.json()
    assert not changed_tables(counts)
    student_a.refresh_from_db()
    assert (student_a.year_group, student_a.is_active) == (9, True)


def test_an_integration_authenticates_with_a_token(api, ivan, student_a):
    response = api.post(
        "/api/auth/token/", {"username": "ivan@north.test", "password": "correct horse battery"}
    )
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    client = type(api)()
    assert client.get("/api/students/").status_code in (401, 403)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert result_ids(client.get("/api/students/")) == {student_a.pk}
    wrong = api.post("/api/auth/token/", {"username": "ivan@north.test", "password": "nope"})
    assert wrong.status_code == 400


def test_a_member_of_staff_uses_the_api_with_their_login_session(alice, school_a, student_a):
    """Session authentication, as the browser has it: reads with the session cookie; a write
    needs the CSRF token as well, so another site cannot post in the teacher's name."""
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    assert browser.get("/api/students/").status_code == 403
    page = browser.get("/login/")
    login = browser.post(
        "/login/",
        {
            "username": "alice@north.test",
            "password": "correct horse battery",
            "csrfmiddlewaretoken": page.context["csrf_token"],
        },
    )
    assert login.status_code == 302, login.content
    assert result_ids(browser.get("/api/students/")) == {student_a.pk}

    body = {
        "student": "S-0042",
        "observed_on": (school_a.today() - dt.timedelta(days=1)).isoformat(),
        "signs": ["ISOLATION"],
    }
    counts = table_counts()
    forged = browser.post("/api/observations/", body, content_type="application/json")
    assert forged.status_code == 403
    assert "CSRF" in forged.json()["detail"]
    assert not changed_tables(counts)
    token = browser.cookies["csrftoken"].value
    ok = browser.post(
        "/api/observations/", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert ok.status_code == 201, ok.content
    assert Observation.objects.get(pk=ok.json()["id"]).recorded_by == alice
