"""Answers with case data are never kept by a browser or proxy: `Cache-Control: no-store` on
the pages and the API answers of a signed-in user, whether signed in by session or token."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alerts.models import WarningRule
from tests.factories import FlaggedCaseFactory, NoticeFactory, ObservationFactory
from tests.tokens import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def casework(student_a, carol, alice):
    case = FlaggedCaseFactory(student=student_a)
    ObservationFactory(student=student_a, recorded_by=alice, note="Sat alone at lunch again.")
    NoticeFactory(user=carol, case=case, text="A new case for S-0042.")
    return case


def _no_store(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


def test_the_casework_pages_are_not_stored(as_user, carol, adam, alice, casework, student_a):
    counsellor = as_user(carol)
    pages = {
        "cases": counsellor.get(reverse("cases")),
        "case": counsellor.get(reverse("case-detail", args=[casework.pk])),
        "notices": counsellor.get(reverse("notices")),
        "student": counsellor.get(reverse("student-detail", args=[student_a.pk])),
        "my observations": as_user(alice).get(reverse("my-observations")),
    }
    rule = WarningRule.objects.filter(school=student_a.school).first()
    admin = as_user(adam)
    form = admin.get(reverse("rule-edit", args=[rule.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if k in form.fields and v is not None}
    data.update(signs=rule.signs, enabled="on")
    pages["rule preview"] = admin.post(reverse("rule-preview", args=[rule.pk]), data)
    for name, response in pages.items():
        assert response.status_code == 200, (name, response.status_code)
        assert _no_store(response), (name, response.get("Cache-Control"))


def test_the_api_answers_to_a_token_are_not_stored(carol, adam, casework, student_a):
    counsellor = token_client(carol)
    rule = WarningRule.objects.filter(school=student_a.school).first()
    answers = {
        "cases": counsellor.get("/api/cases/"),
        "case": counsellor.get(f"/api/cases/{casework.pk}/"),
        "notices": counsellor.get("/api/notices/"),
        "observations": counsellor.get("/api/observations/"),
        "rule preview": token_client(adam).post(f"/api/rules/{rule.pk}/preview/", {}),
    }
    for name, response in answers.items():
        assert response.status_code == 200, (name, response.status_code)
        assert _no_store(response), (name, response.get("Cache-Control"))


def test_static_files_keep_their_caching_for_a_signed_in_user(as_user, carol):
    response = as_user(carol).get("/static/css/app.css")
    assert response.status_code == 200
    assert not _no_store(response)
