"""The observation POST, the path 50 teachers hit at once, makes three queries: the token with
its account and the account's memberships, the student with its school, and one INSERT ... ON
CONFLICT that writes the observation with its signs. The answer is built from what was
written."""

from __future__ import annotations

import uuid

import pytest

from schools.models import Observation
from tests.factories import StudentFactory
from tests.tokens import token_client

pytestmark = pytest.mark.django_db


def _post(client, student, **extra):
    body = {
        "student": student.code,
        "observed_on": "2026-03-02",
        "signs": ["ISOLATION", "DISTRESS"],
    }
    return client.post("/api/observations/", body | extra, format="json")


def test_an_observation_post_makes_three_queries(alice, student_a, django_assert_max_num_queries):
    client = token_client(alice)
    client_id = str(uuid.uuid4())
    with django_assert_max_num_queries(3):
        answer = _post(client, student_a, client_id=client_id, note="Sat alone at lunch")
    assert answer.status_code == 201, answer.content
    stored = Observation.objects.get(client_id=client_id)
    data = answer.json()
    assert data["id"] == stored.pk
    assert data["signs"] == sorted(s.sign for s in stored.signs.all()) == ["DISTRESS", "ISOLATION"]
    assert data["student"] == student_a.code and data["school"] == student_a.school.code
    assert data["note"] == stored.note == "Sat alone at lunch"
    assert data["recorded_by"] == alice.email and stored.recorded_by == alice
    assert data["duplicate"] is False
    assert data["created_at"].startswith(stored.created_at.date().isoformat())


def test_naming_the_school_is_still_three_queries(alice, student_a, django_assert_max_num_queries):
    client = token_client(alice)
    with django_assert_max_num_queries(3):
        answer = _post(client, student_a, school=student_a.school.code)
    assert answer.status_code == 201, answer.content


def test_a_retry_is_the_same_row_and_another_teachers_id_is_refused(alice, tom, student_a):
    client_id = str(uuid.uuid4())
    first = _post(token_client(alice), student_a, client_id=client_id)
    again = _post(token_client(alice), student_a, client_id=client_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["duplicate"] is True
    assert _post(token_client(tom), student_a, client_id=client_id).status_code == 409
    assert Observation.objects.filter(client_id=client_id).count() == 1
    assert Observation.objects.get(client_id=client_id).signs.count() == 2


def test_another_schools_student_and_an_inactive_one_are_refused(alice, student_b, school_a):
    client = token_client(alice)
    other = _post(client, student_b)
    assert other.status_code == 400 and "No student" in str(other.json())
    gone = StudentFactory(school=school_a, code="S-0777", is_active=False)
    inactive = _post(client, gone)
    assert inactive.status_code == 400 and "no longer active" in str(inactive.json())
    assert not Observation.objects.exists()
