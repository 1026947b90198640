"""Helpers for the page tests: a logged-in Django test client per named user, and cases."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from alerts.models import Case, CaseRule, WarningRule


@pytest.fixture
def as_user():
    """`as_user(alice)` returns a test client logged in as alice (a fresh client each call)."""

    def login(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return login


def make_case(student, *, status="new", severity="medium", stage="watch", since=None, **extra):
    since = since or dt.date(2026, 9, 7)
    case = Case.objects.create(
        student=student,
        status=status,
        severity=severity,
        stage=stage,
        first_evidence_on=since,
        last_evidence_on=since + dt.timedelta(days=14),
        persisted_since=since,
        last_fired_on=since + dt.timedelta(days=14),
        resolved_at=extra.pop("resolved_at", None),
        **extra,
    )
    rule = WarningRule.objects.filter(school=student.school, key="persistent_withdrawal").first()
    if rule is not None:
        CaseRule.objects.create(
            case=case,
            rule=rule,
            rule_name=rule.name,
            rule_version=rule.version,
            first_fired_on=case.last_fired_on,
            last_fired_on=case.last_fired_on,
        )
    return case


@pytest.fixture
def case_a(student_a):
    return make_case(student_a)


@pytest.fixture
def case_b(student_b):
    return make_case(student_b)
