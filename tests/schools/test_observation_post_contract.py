"""The observation POST's contract, as clients rely on it, held while its path was made lean
(hand-written reads, serializer fields built once a process): every field error at once and in
Django REST framework's words, refusals of authentication and role as before, each request
validated against its own caller's schools, the `duplicate` flag of each answer its own."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from schools.models import Observation
from tests.tokens import api_token, token_client

pytestmark = pytest.mark.django_db

URL = "/api/observations/"


def _body(**changes) -> dict:
    return {"student": "S-0042", "observed_on": "2026-03-02", "signs": ["ISOLATION"]} | changes


def test_a_bad_body_is_refused_with_every_field_error_and_nothing_written(alice, student_a):
    client = token_client(alice)
    bad = {"client_id": "x", "student": "", "observed_on": "2 March", "signs": ["NOPE"]}
    answer = client.post(URL, bad, format="json")
    assert answer.status_code == 400
    assert answer.json() == {
        "client_id": ["Must be a valid UUID."],
        "student": ["This field may not be blank."],
        "observed_on": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."],
        "signs": {"0": ['"NOPE" is not a valid choice.']},
    }
    missing = client.post(URL, {}, format="json")
    assert missing.status_code == 400
    assert set(missing.json()) == {"student", "observed_on", "signs"}
    assert not Observation.objects.exists()


def test_a_body_that_is_not_an_object_is_refused(alice, student_a):
    answer = token_client(alice).post(URL, ["S-0042"], format="json")
    assert answer.status_code == 400
    assert answer.json() == {
        "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]
    }


def test_each_request_is_checked_against_its_own_callers_schools(alice, bob, student_a, student_b):
    """Both schools have a student S-0042; neither caller names the school. The fields are
    shared by every request, the callers' schools are not."""
    for user, student in ((alice, student_a), (bob, student_b), (alice, student_a)):
        answer = token_client(user).post(URL, _body(), format="json")
        assert answer.status_code == 201, answer.content
        assert answer.json()["school"] == student.school.code
        assert Observation.objects.get(pk=answer.json()["id"]).student == student
    other = token_client(alice).post(URL, _body(school="south"), format="json")
    assert other.status_code == 400
    assert other.json() == {"school": ["You cannot record for a school with code 'south'."]}


def test_the_duplicate_flag_is_each_answers_own(alice, student_a):
    client = token_client(alice)
    first_id, second_id = str(uuid.uuid4()), str(uuid.uuid4())
    flags = [
        client.post(URL, _body(client_id=cid), format="json").json()["duplicate"]
        for cid in (first_id, first_id, second_id, first_id)
    ]
    assert flags == [False, True, False, True]


def test_authentication_and_role_refusals_are_as_before(alice, ivan, student_a):
    bare_prefix = APIClient()
    bare_prefix.credentials(HTTP_AUTHORIZATION="Token")
    anonymous = bare_prefix.post(URL, _body(), format="json")
    assert (anonymous.status_code, anonymous.json()) == (
        403,
        {"detail": "Invalid token header. No credentials provided."},
    )
    nobody = token_client(token="0" * 64).post(URL, _body(), format="json")
    assert (nobody.status_code, nobody.json()) == (403, {"detail": "Invalid token."})
    integration = token_client(token=api_token(ivan)).post(URL, _body(), format="json")
    assert (integration.status_code, integration.json()) == (
        403,
        {"detail": "You do not have permission to perform this action."},
    )
    no_header = APIClient().post(URL, _body(), format="json")
    assert (no_header.status_code, no_header.json()) == (
        403,
        {"detail": "Authentication credentials were not provided."},
    )
    assert not Observation.objects.exists()


def test_a_form_body_is_still_read_and_another_type_is_refused(alice, student_a):
    client = token_client(alice)
    form = client.post(URL, _body(), format="multipart")
    assert form.status_code == 201, form.content
    assert form.json()["signs"] == ["ISOLATION"]
    text = client.post(URL, "student=S-0042", content_type="text/plain")
    assert text.status_code == 415
    assert Observation.objects.count() == 1
