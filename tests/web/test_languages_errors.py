"""Not-found and error answers, the staff page's links and the outbox's errors in the reader's
language. Each expected text is the catalogue's translation of the English source, and the
English source must be absent, so a string left unmarked (or untranslated) fails."""

from __future__ import annotations

import importlib

import pytest
from django.contrib.auth.models import Permission
from django.http import Http404
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from alerts.models import NotificationStatus
from alerts.notifications.delivery import RECIPIENT_GONE
from alerts.views import exports, followup
from schools import tenancy
from tests.factories import AbsentWeeksRuleFactory, NotificationFactory
from tests.languages import speaking

pytestmark = pytest.mark.django_db


def _assert_translated(html: str, lang: str, *sources: str) -> None:
    with translation.override(lang):
        for source in sources:
            text = translation.gettext(source)
            assert text != source, f"{source!r} has no {lang} translation"
            assert text in html or escape(text) in html, f"{lang}: {text!r} is not on the page"
            assert source not in html, f"{lang}: the English {source!r} is on the page"


@pytest.mark.parametrize(
    "view", [exports.cases_export, followup.concern_new], ids=["cases-export", "concern-new"]
)
def test_a_view_says_not_found_in_italian(alice, view):
    """A teacher has no casework pages: the view's 404 carries the Italian message."""
    request = RequestFactory().get("/")
    request.user = speaking(alice, "it")
    with translation.override("it"), pytest.raises(Http404) as raised:
        view(request)
    assert str(raised.value) == "Pagina inesistente."


def test_a_school_not_among_yours_is_not_found_in_japanese(alice, school_b):
    request = RequestFactory().get("/", {"school": school_b.code})
    request.user = alice
    with translation.override("ja"), pytest.raises(Http404) as raised:
        tenancy.current_school(request, roles=tenancy.CASEWORK_ROLES)
    assert str(raised.value) == "このページはありません。"


def test_an_italian_teacher_gets_the_404_page_in_italian(as_user, alice):
    client = as_user(speaking(alice, "it"))
    for url in (reverse("cases-export"), reverse("concern-new")):
        response = client.get(url)
        assert response.status_code == 404, url
        html = response.content.decode()
        assert '<html lang="it">' in html
        _assert_translated(
            html, "it", "Page not found", "There is no such page, or it is not open to you."
        )


def test_the_rule_lab_api_says_no_such_rule_in_italian(api, adam, school_a, school_b):
    mine, theirs = AbsentWeeksRuleFactory(school=school_a), AbsentWeeksRuleFactory(school=school_b)
    today = school_a.today()
    response = api.as_(adam).post(
        f"/api/rules/{mine.pk}/backtest/",
        {
            "start": today.replace(day=1).isoformat(),
            "end": today.isoformat(),
            "compare_with": theirs.pk,
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="it",
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "In questa scuola non c'è questa regola."}


def test_the_error_page_is_in_the_readers_language(settings, alice, monkeypatch):
    cases_module = importlib.import_module("alerts.views.cases")

    def boom(request):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(cases_module, "case_filters", boom)
    settings.DEBUG = False
    from schools.models import Membership, Role

    Membership.objects.filter(user=alice).update(role=Role.COUNSELLOR)
    client = Client(raise_request_exception=False)
    client.force_login(speaking(alice, "ja"))
    response = client.get(reverse("cases"))
    assert response.status_code == 500
    html = response.content.decode()
    assert '<html lang="ja">' in html
    _assert_translated(html, "ja", "Something went wrong", "Early warning")


@pytest.mark.parametrize("lang", ["ja", "it"])
def test_the_staff_page_links_in_the_reader_language(as_user, adam, lang):
    html = as_user(speaking(adam, lang)).get(reverse("staff")).content.decode()
    _assert_translated(
        html,
        lang,
        "Integrations and their API tokens",
        "Sign-in safeguards (second factor, locked-out staff)",
        "Audit trail",
        "Staff of the school (scrolls sideways on a small screen)",
    )


@pytest.mark.parametrize("lang", ["ja", "it"])
def test_the_outbox_shows_the_services_own_error_in_the_reader_language(
    client, adam, carol, case_a, lang
):
    adam.is_staff = True
    adam.save(update_fields=["is_staff"])
    adam.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="alerts", codename__endswith="notification"
        )
    )
    NotificationFactory(
        case=case_a,
        recipient=carol,
        status=NotificationStatus.FAILED,
        attempts=1,
        last_error=RECIPIENT_GONE,
    )
    client.force_login(speaking(adam, lang))
    html = client.get("/admin/alerts/notification/").content.decode()
    _assert_translated(html, lang, RECIPIENT_GONE)
