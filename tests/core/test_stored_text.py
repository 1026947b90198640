"""Every stored free text loses its invisible characters (zero-width, BOM, soft hyphen,
bidirectional marks, overrides and isolates), whichever way it arrives: the API, the services
behind the pages, the Django admin. The text is otherwise kept as written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError

from alerts.models import ActionType, Case, CaseEvent, EventKind, WarningRule
from alerts.services import case_add_note, case_record_action, case_resolve, rule_update
from schools.models import Observation
from tests.factories import CaseFactory, ObservationFactory

pytestmark = pytest.mark.django_db

# Written with a zero-width space, a right-to-left override, a pop, a soft hyphen and a BOM.
WRITTEN = "\ufeffSat alone\u200b at lunch; \u202eIt was\u202c raining\u00ad.\u2066 "
STORED = "Sat alone at lunch; It was raining."


@pytest.fixture
def case(student_a):
    return CaseFactory(student=student_a)


def test_an_observation_note_from_the_api(api, alice, student_a):
    body = {
        "student": student_a.code,
        "observed_on": (student_a.school.today() - dt.timedelta(days=1)).isoformat(),
        "signs": ["ISOLATION"],
        "note": WRITTEN,
    }
    response = api.as_(alice).post("/api/observations/", body, format="json")
    assert response.status_code == 201, response.content
    assert Observation.objects.get().note == STORED


def test_a_case_note_from_the_api(api, carol, case):
    response = api.as_(carol).post(f"/api/cases/{case.pk}/notes/", {"text": WRITTEN})
    assert response.status_code == 201, response.content
    assert CaseEvent.objects.get(case=case, kind=EventKind.NOTE).text == STORED


def test_an_action_and_a_resolution_reason(carol, case):
    action = case_record_action(case=case, by=carol, action_type=ActionType.OTHER, text=WRITTEN)
    assert action.text == STORED
    case_resolve(case=case, by=carol, reason=WRITTEN, outcome="other")
    assert Case.objects.get(pk=case.pk).resolution_reason == STORED


def test_a_reason_of_invisible_characters_only_is_no_reason(carol, case):
    with pytest.raises(ValidationError) as raised:
        case_resolve(case=case, by=carol, reason="\u200b\u202e\u00ad", outcome="other")
    assert raised.value.error_list[0].code == "no_reason"
    with pytest.raises(ValidationError):
        case_add_note(case=case, by=carol, text="\u200b")
    assert not Case.objects.get(pk=case.pk).resolved_at


def test_a_rule_name_from_the_api_and_the_services(api, adam, school_a):
    body = {"name": "Alone\u202e again", "description": WRITTEN, "kind": "sign_pattern"}
    response = api.as_(adam).post("/api/rules/", body | {"signs": ["ISOLATION"]}, format="json")
    assert response.status_code == 201, response.content
    created = WarningRule.objects.get(pk=response.json()["id"])
    assert created.name == "Alone again"
    # A typed description is not stored: it is generated from the settings.
    assert created.description == created.plain_description != STORED

    created.name = "Alone\u200b twice\u2067"
    rule_update(rule=created, by=adam, fields=["name"])
    assert WarningRule.objects.get(pk=created.pk).name == "Alone twice"


@pytest.fixture
def admin_post(client, adam, alice, student_a):
    """Post `note` to the admin change page of an observation; return the response and it."""
    group = Group.objects.create(name="School admins")
    group.permissions.set(Permission.objects.filter(content_type__app_label="schools"))
    adam.is_staff = True
    adam.save(update_fields=["is_staff"])
    adam.groups.add(group)
    client.force_login(adam)
    observation = ObservationFactory(student=student_a, recorded_by=alice, note="Alone.")
    sign = observation.signs.get()

    def post(note: str):
        body = {
            "student": student_a.pk,
            "observed_on": observation.observed_on.isoformat(),
            "recorded_by": alice.pk,
            "note": note,
            "signs-TOTAL_FORMS": "1",
            "signs-INITIAL_FORMS": "1",
            "signs-MIN_NUM_FORMS": "1",
            "signs-MAX_NUM_FORMS": "1000",
            "signs-0-id": sign.pk,
            "signs-0-observation": observation.pk,
            "signs-0-sign": sign.sign,
        }
        url = f"/admin/schools/observation/{observation.pk}/change/"
        return client.post(url, body), Observation.objects.get(pk=observation.pk)

    return post


def test_an_observation_note_edited_in_the_admin(admin_post):
    response, observation = admin_post(WRITTEN)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert observation.note == STORED


def test_a_disguised_identifier_is_refused_in_the_admin_too(admin_post):
    response, observation = admin_post("Mum: 090ー1234ー5678")
    assert response.status_code == 200
    assert "a phone number" in " ".join(response.context["adminform"].form.errors["note"])
    assert observation.note == "Alone."
