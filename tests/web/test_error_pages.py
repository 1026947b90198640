"""The service's own error pages: a 404 that lists nothing (also with DEBUG on, as under
`make run`), and a styled 500 page that needs no context."""

from __future__ import annotations

import importlib

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import FlaggedCaseFactory


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["deployed", "make-run"])
def test_a_teacher_typing_a_counsellors_url_sees_the_services_404(
    settings, as_user, alice, student_a, debug
):
    settings.DEBUG = debug
    case = FlaggedCaseFactory(student=student_a)
    client = as_user(alice)
    for url in (reverse("case-detail", args=[case.pk]), "/no-such-page/", "/cases/999999/"):
        response = client.get(url)
        assert response.status_code == 404, url
        html = response.content.decode()
        assert "Page not found" in html
        assert "Log observation" in html, "the page has the service's own menu"
        assert "URLconf" not in html and "case-detail" not in html, "no map of the URLs"
        assert student_a.code not in html


@pytest.mark.django_db
def test_an_api_404_stays_json_with_debug_on(settings, api, alice):
    settings.DEBUG = True
    response = api.as_(alice).get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.django_db
def test_a_server_error_shows_the_styled_500_page(settings, alice, monkeypatch):
    cases_module = importlib.import_module("alerts.views.cases")

    def boom(request):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(cases_module, "case_filters", boom)
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    from schools.models import Membership, Role

    Membership.objects.filter(user=alice).update(role=Role.COUNSELLOR)
    response = client.get(reverse("cases"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html and "/static/css/app.css" in html
    assert "the database went away" not in html
