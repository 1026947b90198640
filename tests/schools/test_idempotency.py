"""A retried submission never makes a second row: the client's UUID (client_id) decides."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from django.db import connection
from rest_framework.test import APIClient

from schools.models import AttendanceRecord, Observation, ObservationSign, Role
from tests.factories import MembershipFactory, SchoolFactory, StudentFactory, TermFactory

from .helpers import changed_tables, table_counts


def _body(school, client_id, **changes) -> dict:
    return {
        "client_id": str(client_id),
        "student": "S-0042",
        "observed_on": (school.today() - dt.timedelta(days=1)).isoformat(),
        "signs": ["ISOLATION", "DISTRESS"],
        "note": "Alone at lunch.",
    } | changes


@pytest.mark.django_db
def test_the_same_observation_posted_twice_is_one_row(api, school_a, student_a, alice):
    client_id = uuid.uuid4()
    client = api.as_(alice)
    first = client.post("/api/observations/", _body(school_a, client_id))
    assert first.status_code == 201, first.content
    assert first.json()["duplicate"] is False

    counts = table_counts()
    second = client.post("/api/observations/", _body(school_a, client_id))
    assert second.status_code == 200, second.content
    assert second.json()["duplicate"] is True
    assert second.json()["id"] == first.json()["id"]
    assert not changed_tables(counts)
    assert Observation.objects.filter(client_id=client_id).count() == 1
    assert ObservationSign.objects.filter(observation__client_id=client_id).count() == 2


@pytest.mark.django_db
def test_a_retry_answers_with_the_first_row_even_if_the_retry_differs(
    api, school_a, student_a, alice
):
    """What was recorded first stands; a retry is not an edit."""
    client_id = uuid.uuid4()
    client = api.as_(alice)
    client.post("/api/observations/", _body(school_a, client_id))
    again = client.post("/api/observations/", _body(school_a, client_id, signs=["FATIGUE"]))
    assert again.status_code == 200
    assert again.json()["signs"] == ["DISTRESS", "ISOLATION"]
    assert sorted(Observation.objects.get(client_id=client_id).sign_codes) == [
        "DISTRESS",
        "ISOLATION",
    ]


@pytest.mark.django_db
def test_the_same_client_id_from_another_user_is_a_conflict(api, school_a, student_a, alice, tom):
    client_id = uuid.uuid4()
    api.as_(alice).post("/api/observations/", _body(school_a, client_id))
    counts = table_counts()
    response = api.as_(tom).post("/api/observations/", _body(school_a, client_id))
    assert response.status_code == 409, response.content
    assert "client id" in response.json()["detail"]
    assert not changed_tables(counts)
    assert Observation.objects.get(client_id=client_id).recorded_by == alice


@pytest.mark.django_db
def test_a_retried_batch_writes_nothing_twice(api, school_a, student_a, alice):
    rows = [_body(school_a, uuid.uuid4()) for _ in range(3)]
    client = api.as_(alice)
    first = client.post("/api/observations/batch/", {"observations": rows})
    assert first.json() == {"created": 3, "duplicates": 0}
    counts = table_counts()
    again = client.post("/api/observations/batch/", {"observations": rows})
    assert again.status_code == 201
    assert again.json() == {"created": 0, "duplicates": 3}
    assert not changed_tables(counts)

    # Half old, half new: only the new rows are written.
    more = [*rows[:2], _body(school_a, uuid.uuid4())]
    third = client.post("/api/observations/batch/", {"observations": more})
    assert third.json() == {"created": 1, "duplicates": 2}
    assert changed_tables(counts) == {
        "schools.Observation": (3, 4),
        "schools.ObservationSign": (6, 8),
    }


@pytest.mark.django_db
def test_a_batch_reusing_another_users_client_id_is_a_conflict(
    api, school_a, student_a, alice, tom
):
    taken = uuid.uuid4()
    api.as_(alice).post("/api/observations/", _body(school_a, taken))
    counts = table_counts()
    rows = [_body(school_a, uuid.uuid4()), _body(school_a, taken)]
    response = api.as_(tom).post("/api/observations/batch/", {"observations": rows})
    assert response.status_code == 409, response.content
    assert not changed_tables(counts)


@pytest.mark.django_db
def test_the_same_attendance_batch_twice_changes_nothing(api, school_a, student_a, ivan):
    day = (school_a.today() - dt.timedelta(days=1)).isoformat()
    body = {
        "records": [
            {"student": "S-0042", "date": day, "session": "AM", "status": "late"},
            {"student": "S-0042", "date": day, "session": "PM", "status": "unauthorised_absence"},
        ]
    }
    client = api.as_(ivan)
    assert client.post("/api/attendance/batch/", body).json() == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
    }
    assert client.post("/api/attendance/batch/", body).json() == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
    }
    body["records"][1]["status"] = "authorised_absence"
    assert client.post("/api/attendance/batch/", body).json() == {
        "created": 0,
        "updated": 1,
        "unchanged": 1,
    }
    assert AttendanceRecord.objects.filter(student=student_a).count() == 2
    assert AttendanceRecord.objects.get(student=student_a, session="PM").status == (
        "authorised_absence"
    )


# --- two requests at once -------------------------------------------------------------------


def _post_together(user, bodies: list[dict], url: str) -> list[int]:
    """POST each body from its own thread and connection, released at the same instant."""
    barrier = threading.Barrier(len(bodies))
    statuses: list[int | Exception] = [0] * len(bodies)

    def send(i: int) -> None:
        try:
            client = APIClient()
            client.force_authenticate(user=user)
            barrier.wait(timeout=10)
            statuses[i] = client.post(url, bodies[i], format="json").status_code
        except Exception as e:  # reported by the assertion below, not lost in the thread
            statuses[i] = e
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return statuses


@pytest.mark.django_db(transaction=True)
def test_a_double_post_at_the_same_instant_makes_one_row():
    school = SchoolFactory(code="north")
    TermFactory(school=school)
    StudentFactory(school=school, code="S-0042")
    teacher = MembershipFactory(school=school, role=Role.TEACHER).user
    for _ in range(5):  # several rounds, so the race is actually run, not just possible
        client_id = uuid.uuid4()
        body = _body(school, client_id)
        statuses = _post_together(teacher, [body, body, body], "/api/observations/")
        assert sorted(statuses) == [200, 200, 201], statuses
        assert Observation.objects.filter(client_id=client_id).count() == 1
        assert ObservationSign.objects.filter(observation__client_id=client_id).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_double_batch_at_the_same_instant_makes_one_row_each():
    school = SchoolFactory(code="north")
    TermFactory(school=school)
    StudentFactory(school=school, code="S-0042")
    teacher = MembershipFactory(school=school, role=Role.TEACHER).user
    for _ in range(3):
        rows = [_body(school, uuid.uuid4()) for _ in range(20)]
        body = {"observations": rows}
        statuses = _post_together(teacher, [body, body], "/api/observations/batch/")
        assert all(isinstance(s, int) and s in (201, 409) for s in statuses), statuses
        assert 201 in statuses, statuses
        ids = [r["client_id"] for r in rows]
        assert Observation.objects.filter(client_id__in=ids).count() == 20


@pytest.mark.django_db(transaction=True)
def test_the_same_attendance_batch_twice_at_once_writes_each_mark_once():
    school = SchoolFactory(code="north")
    TermFactory(school=school)
    for n in range(10):
        StudentFactory(school=school, code=f"S-{n:04d}")
    system = MembershipFactory(school=school, role=Role.INTEGRATION).user
    for days_ago in (1, 2, 3):
        day = (school.today() - dt.timedelta(days=days_ago)).isoformat()
        body = {
            "records": [
                {"student": f"S-{n:04d}", "date": day, "session": s, "status": "late"}
                for n in range(10)
                for s in ("AM", "PM")
            ]
        }
        statuses = _post_together(system, [body, body], "/api/attendance/batch/")
        assert statuses == [200, 200], statuses
        assert AttendanceRecord.objects.filter(date=day).count() == 20


@pytest.mark.django_db(transaction=True)
def test_the_same_student_created_twice_at_once_is_one_student():
    school = SchoolFactory(code="north")
    admin = MembershipFactory(school=school, role=Role.SCHOOL_ADMIN).user
    for n in range(5):
        body = {"code": f"S-{n:04d}", "year_group": 7}
        statuses = _post_together(admin, [body, body, body], "/api/students/")
        assert sorted(statuses) == [201, 400, 400], statuses
        assert school.students.filter(code=f"S-{n:04d}").count() == 1
