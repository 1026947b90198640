"""Which language a page is in: before signing in, the browser's Accept-Language; after, the
person's own choice on their profile page, else their school's default. English is the
source; Japanese and Italian have catalogues."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from alerts.models import WarningRule
from alerts.rule_text import rule_describe

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("accept", "lang", "heading"),
    [
        ("ja,en;q=0.5", "ja", "ログイン"),
        ("it-IT,it;q=0.9,en;q=0.5", "it", "Accedi"),
        ("en-US,en;q=0.9", "en-gb", "Log in"),
        ("fr-FR,de;q=0.5", "en-gb", "Log in"),
    ],
)
def test_the_login_page_follows_the_browser(accept, lang, heading):
    response = Client().get(reverse("login"), HTTP_ACCEPT_LANGUAGE=accept)
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html
    assert f"<h1>{heading}</h1>" in html
    assert response.headers["Content-Language"] == lang
    assert "Accept-Language" in response.headers["Vary"]


def test_a_signed_in_page_is_in_the_school_language_whatever_the_browser(as_user, alice, school_a):
    school_a.default_language = "ja"
    school_a.save(update_fields=["default_language"])
    html = as_user(alice).get(reverse("observe"), HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert '<html lang="ja">' in html
    assert "観察の記録" in html and "休み時間にひとり" in html
    # The sign's plain description, in the words a Japanese teacher would use.
    assert "休み時間や昼食をひとりで過ごし、グループ活動を避ける。" in html


def test_a_person_chooses_their_own_language_on_the_profile_page(as_user, alice, school_a):
    school_a.default_language = "ja"
    school_a.save(update_fields=["default_language"])
    client = as_user(alice)
    page = client.get(reverse("profile")).content.decode()
    assert "学校の言語（日本語）" in page  # the blank choice names the school's language
    response = client.post(reverse("profile"), {"display_name": "Alice", "language": "it"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.language == "it"
    after = client.get(reverse("profile")).content.decode()
    assert '<html lang="it">' in after and "Profilo salvato." in after
    # Back to the school's language.
    client.post(reverse("profile"), {"display_name": "Alice", "language": ""})
    assert '<html lang="ja">' in client.get(reverse("observe")).content.decode()


def test_an_unknown_language_is_refused_and_nothing_is_saved(as_user, alice):
    response = as_user(alice).post(reverse("profile"), {"display_name": "X", "language": "xx"})
    assert response.status_code == 200
    alice.refresh_from_db()
    assert (alice.language, alice.display_name) == ("", "")


def test_dates_follow_the_reader(as_user, carol, case_a):
    case_a.persisted_since = dt.date(2026, 3, 2)
    case_a.save(update_fields=["persisted_since"])
    url = reverse("case-detail", args=[case_a.pk])
    carol.language = "ja"
    carol.save(update_fields=["language"])
    assert "2026年3月2日" in as_user(carol).get(url).content.decode()
    carol.language = "it"
    carol.save(update_fields=["language"])
    html = as_user(carol).get(url).content.decode()
    assert "02 Marzo 2026" in html and "Perché è stato segnalato" in html
    carol.language = "en-gb"
    carol.save(update_fields=["language"])
    assert "2 Mar 2026" in as_user(carol).get(url).content.decode()


def test_a_rule_is_described_from_its_settings_in_the_reader_language(school_a):
    from django.utils import translation

    rule = WarningRule.objects.get(school=school_a, key="irregular_sleep")
    rule.window_days, rule.min_events_per_window = 4, 1
    with translation.override("it"):
        text = rule_describe(rule)
    assert (
        "Scatta quando, in ciascuno di 2 periodi consecutivi di 4 giorni di scuola, ci sono" in text
    )
    with translation.override("ja"):
        assert text != rule_describe(rule)
        assert "授業日4日ずつの期間が2回続けて毎回" in rule_describe(rule)
    with translation.override("en-gb"):
        english = rule_describe(rule)
    assert (
        "Fires when, in each of 2 blocks of 4 school days in a row, there are at least 1 day"
        in english
    )
    # What is stored is the English text, whoever saved the rule.
    from alerts.rule_text import rule_normalise

    with translation.override("ja"):
        rule_normalise(rule)
    assert rule.description == english
