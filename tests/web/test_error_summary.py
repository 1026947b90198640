"""Every form says what went wrong at its top as well as beside the field: one shared summary
(templates/includes/error_summary.html) that the focus moves to (core/static/js/form-errors.js).

Two checks: every template holding a form includes the summary (or is listed below with the
reason it needs none), and each page, sent input it refuses, renders the summary with a link
to each field in error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import ObservationFactory, StudentFactory

TEMPLATES = Path(settings.BASE_DIR) / "templates"
SUMMARY = "includes/error_summary.html"

# Templates whose forms have nothing a reader types that can be refused, or whose refusals
# come back as an error message, which the layout (base.html) shows as the same summary.
NO_FIELDS_TO_REFUSE = {
    "base.html": "the log-out button",
    "includes/school_picker.html": "a choice among the user's own schools (GET)",
    "schools/_student_find_form.html": "a search: no match is a list of none, not an error",
    "alerts/rules.html": "enable / disable buttons",
    "alerts/case_detail.html": "each form comes back to the page with its error as a message",
    "schools/security.html": "a checkbox and unlock buttons; refusals are messages",
}


def test_every_form_template_includes_the_summary():
    missing = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        text = path.read_text()
        if "<form" not in text or name in NO_FIELDS_TO_REFUSE:
            continue
        if SUMMARY not in text and "includes/rule_fields.html" not in text:
            missing.append(name)
    assert missing == [], f"forms without the error summary: {missing}"
    # The exemptions still exist and still hold a form (a renamed file would hide a new one).
    for name in NO_FIELDS_TO_REFUSE:
        assert "<form" in (TEMPLATES / name).read_text(), name


def _summary(html: str) -> str:
    match = re.search(
        r'<div class="error error-summary"[^>]*data-form-errors[^>]*>(.*?)</div>', html, re.S
    )
    assert match, "no error summary on the page"
    assert 'tabindex="-1"' in html[match.start() : match.start() + 200]
    return match.group(1)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.django_db
def test_each_page_refusing_its_form_shows_the_summary(
    as_user, client, school_a, alice, carol, adam, student_a
):
    from alerts.models import WarningRule

    rule = WarningRule.objects.filter(school=school_a).first()
    obs = ObservationFactory(student=student_a, recorded_by=alice)
    StudentFactory(school=school_a, code="S-7001")
    teacher, counsellor, admin = as_user(alice), as_user(carol), as_user(adam)
    # (who, method, url, data, the fields the summary links to)
    cases = [
        (
            teacher,
            "post",
            reverse("observe"),
            {"student": "", "observed_on": "2100-01-01"},
            ["id_student"],
        ),
        (teacher, "get", reverse("my-observations"), {"start": "not a date"}, ["id_start"]),
        (
            teacher,
            "post",
            reverse("observation-correct", args=[obs.pk]),
            {"student": "S-9999", "observed_on": ""},
            ["id_observed_on"],
        ),
        (
            teacher,
            "get",
            reverse("register"),
            {"year_group": "1", "date": "not a date", "session": "AM"},
            ["id_date"],
        ),
        (
            teacher,
            "post",
            reverse("profile"),
            {"display_name": "x", "language": "xx"},
            ["id_language"],
        ),
        (teacher, "post", reverse("tokens"), {"name": "", "days": "0"}, ["id_name"]),
        (counsellor, "get", reverse("cases"), {"stage": "nonsense"}, ["id_stage"]),
        (
            counsellor,
            "post",
            reverse("concern-new"),
            {"code": "S-9999", "reason": "", "severity": "low"},
            ["id_reason"],
        ),
        (
            counsellor,
            "get",
            reverse("student-detail", args=[student_a.pk]),
            {"weeks": "99"},
            ["id_weeks"],
        ),
        (admin, "post", reverse("students"), {"one-code": "not a code"}, ["id_one-code"]),
        (admin, "post", reverse("students"), {"bulk-codes": "S-7001\nnot a code"}, []),
        (
            admin,
            "post",
            reverse("staff"),
            {"email": "not an address", "role": "teacher"},
            ["id_email"],
        ),
        (admin, "get", reverse("audit"), {"date_from": "not a date"}, ["id_date_from"]),
        (admin, "post", reverse("integrations"), {"do": "account", "name": ""}, ["id_name"]),
        (admin, "post", reverse("rule-new"), {"name": "", "kind": "sign_pattern"}, ["id_name"]),
        (admin, "post", reverse("rule-edit", args=[rule.pk]), {"name": ""}, ["id_name"]),
        (
            admin,
            "get",
            reverse("rule-lab", args=[rule.pk]),
            {"start": "not a date", "end": "x"},
            ["id_start"],
        ),
        (
            admin,
            "post",
            reverse("outcomes-import") + f"?school={school_a.code}",
            {"school": school_a.code},
            ["id_file"],
        ),
        (
            client,
            "post",
            reverse("login"),
            {"username": "nobody@north.test", "password": "wrong"},
            [],
        ),
        (client, "post", reverse("password_reset"), {"email": "not an address"}, ["id_email"]),
    ]
    for who, method, url, data, fields in cases:
        response = getattr(who, method)(url, data)
        assert response.status_code in (200, 400), (url, response.status_code)
        summary = _summary(response.content.decode())
        assert "<li>" in summary or "<strong>" in summary, url
        for field in fields:
            assert f'href="#{field}"' in summary, (url, field, summary)


@pytest.mark.django_db
def test_a_refusal_that_comes_back_as_a_message_is_the_same_summary(as_user, carol, student_a):
    from tests.factories import FlaggedCaseFactory

    case = FlaggedCaseFactory(student=student_a)
    page = as_user(carol).post(
        reverse("case-review", args=[case.pk]), {"review-review_on": "2000-01-01"}, follow=True
    )
    assert "2000" not in str(case.review_on)
    assert _summary(page.content.decode())
