"""A strict Content-Security-Policy can hold: every page sends one, and no page carries
inline JavaScript, inline event handlers, inline styles or anything from another host."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<[^>]+\sstyle\s*=|<style", re.I)
OUTSIDE = re.compile(r"""(?:src|href)=["'](?:https?:)?//""", re.I)


def _check(html: str, url: str) -> None:
    assert not INLINE_SCRIPT.search(html), url
    assert not INLINE_HANDLER.search(html), url
    assert not INLINE_STYLE.search(html), url
    assert not OUTSIDE.search(html), url


@pytest.mark.django_db
def test_every_page_is_csp_clean(client, as_user, alice, carol, adam, case_a):
    from alerts.models import WarningRule

    rule = WarningRule.objects.filter(school=case_a.student.school).first()
    pages = [
        (client, reverse("login")),
        (client, reverse("password_reset")),
        (as_user(alice), reverse("observe")),
        (as_user(alice), reverse("my-observations")),
        (as_user(alice), reverse("register")),
        (as_user(carol), reverse("cases")),
        (as_user(carol), reverse("case-detail", args=[case_a.pk])),
        (as_user(carol), reverse("student-detail", args=[case_a.student_id])),
        (as_user(carol), reverse("overview")),
        (as_user(carol), reverse("notices")),
        (as_user(adam), reverse("rules")),
        (as_user(adam), reverse("rule-edit", args=[rule.pk])),
        (as_user(adam), reverse("staff")),
        (as_user(adam), reverse("students")),
    ]
    for c, url in pages:
        response = c.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        _check(response.content.decode(), url)


@pytest.mark.django_db
def test_every_form_field_has_a_label(client, as_user, alice, adam, carol, case_a):
    from alerts.models import WarningRule
    from schools.calendar import last_school_days
    from tests.factories import ObservationFactory

    student = case_a.student
    school = student.school
    rule = WarningRule.objects.filter(school=school).first()
    day = last_school_days(school, school.today(), 1)[0]
    register = f"{reverse('register')}?year_group={student.year_group}&date={day}&session=AM"
    mine = ObservationFactory(student=student, recorded_by=alice)
    for c, url in [
        (client, reverse("login")),
        (client, reverse("password_reset")),
        (as_user(alice), register),
        (as_user(alice), reverse("observation-correct", args=[mine.pk])),
        (as_user(carol), reverse("student-detail", args=[student.pk])),
        (as_user(alice), reverse("observe")),
        (as_user(carol), reverse("case-detail", args=[case_a.pk])),
        (as_user(carol), reverse("cases")),
        (as_user(adam), reverse("rule-edit", args=[rule.pk])),
        (as_user(adam), reverse("staff")),
        (as_user(adam), reverse("students")),
    ]:
        response = c.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        if url == register:  # the register with its rows: one mark per student
            assert f">{student.code}<" in html and "<select" in html
        labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
        for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
            if re.search(r'type="(?:hidden|submit)"', tag):
                continue
            field_id = re.search(r'\bid="([^"]+)"', tag)
            assert field_id and field_id.group(1) in labelled, (url, tag)
