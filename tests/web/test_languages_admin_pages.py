"""The school admin's and a person's own account pages in Japanese and Italian: the rule lab
(its form, figures and sweep), the sign-in safeguards, the integrations, the audit trail and
the API tokens. Each expected text is the catalogue's translation of the English source, and
the English source must be absent, so a string left unmarked (or untranslated) fails."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from alerts.models import OutcomeKind
from tests.factories import AbsentWeeksRuleFactory
from tests.languages import speaking

pytestmark = pytest.mark.django_db

LANGUAGES = ["ja", "it"]


def _assert_translated(html: str, lang: str, *sources: str) -> None:
    with translation.override(lang):
        for source in sources:
            text = translation.gettext(source)
            assert text != source, f"{source!r} has no {lang} translation"
            # Template text comes as written, form labels and values escaped.
            shown = text if text in html else escape(text)
            assert shown in html, f"{lang}: {text!r} (for {source!r}) is not on the page"
            # "Precisione" holds "Precision": the English may appear only inside it.
            english = html.count(source) - (html.count(shown) if source in shown else 0)
            assert english == 0, f"{lang}: the English {source!r} is on the page"


@pytest.fixture
def rule(school_a):
    return AbsentWeeksRuleFactory(school=school_a)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_rule_lab_in_the_reader_language(as_user, adam, rule, school_a, lang):
    client = as_user(speaking(adam, lang))
    url = reverse("rule-lab", args=[rule.pk])
    form = client.get(url).content.decode()
    assert f'<html lang="{lang}">' in form
    _assert_translated(
        form,
        lang,
        "Import past outcomes",
        "Run the backtest",
        "Sweep one parameter",
        "No sweep",
        "Persistence: windows in a row",
        "Compare with",
        "Caught in time: at least this many school weeks before the outcome",
    )
    today = school_a.today()
    start = today.replace(day=1) if today.day > 1 else today
    html = client.get(
        url,
        {
            "start": start.isoformat(),
            "end": today.isoformat(),
            "min_lead_weeks": 2,
            "sweep": "consecutive_windows",
        },
    ).content.decode()
    assert 'data-testid="backtest-result"' in html
    _assert_translated(
        html,
        lang,
        "Precision",
        "Recall",
        "Median lead",
        "Caught in time (true positives)",
        "Flagged, no concern found (false positives)",
        "The students behind the figures",
        "Lead (school weeks)",
    )
    with translation.override(lang):
        sweep = translation.gettext("Sweep: %(label)s") % {
            "label": translation.gettext("Persistence: windows in a row")
        }
    assert escape(sweep) in html


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_outcome_import_page_names_the_outcomes_in_the_reader_language(
    as_user, adam, school_a, lang
):
    html = as_user(speaking(adam, lang)).get(reverse("outcomes-import")).content.decode()
    _assert_translated(
        html,
        lang,
        "The file is imported whole or not at all: a bad row refuses it with the line and the "
        "reason. Importing the same file again adds nothing.",
        "Check only, write nothing",
    )
    with translation.override(lang):
        label = str(OutcomeKind.CONCERN_CONFIRMED.label)
    assert label != "Concern confirmed and supported" and escape(label) in html
    # The importer's column names and outcome codes stay as they are in every language.
    assert "<code>student_ref</code>" in html and "<code>concern_confirmed</code>" in html


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_security_integrations_and_audit_pages_in_the_reader_language(
    as_user, adam, school_a, lang
):
    client = as_user(speaking(adam, lang))
    security = client.get(reverse("school-security")).content.decode()
    _assert_translated(
        security,
        lang,
        "Sign-in safeguards",
        "Require a second factor of counsellors and school admins",
        "Locked-out sign-ins",
        "No one of the staff is locked out.",
    )
    integrations = client.get(reverse("integrations")).content.decode()
    _assert_translated(integrations, lang, "Add an integration", "What it is")
    audit = client.get(reverse("audit")).content.decode()
    _assert_translated(audit, lang, "Audit trail", "Export CSV", "Person (e-mail)")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_my_api_tokens_in_the_reader_language(as_user, alice, lang):
    client = as_user(speaking(alice, lang))
    html = client.get(reverse("tokens")).content.decode()
    _assert_translated(
        html, lang, "My API tokens", "You have no API tokens.", "Make a token", "Valid for (days)"
    )
    made = client.post(reverse("tokens"), {"name": "laptop", "days": 30}).content.decode()
    _assert_translated(made, lang, "Token made")
    with translation.override(lang):
        assert escape(translation.gettext("Token “%(name)s”") % {"name": "laptop"}) in made
    # Refused by the service: the message is in the reader's language too.
    refused = client.post(reverse("tokens"), {"name": "   ", "days": 30}).content.decode()
    with translation.override(lang):
        expected = translation.gettext("This field is required.")
    assert escape(expected) in refused
