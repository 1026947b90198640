"""Fixtures for the notification tests: cases and outbox rows made directly, so delivery and
escalation are tested on their own; the end-to-end tests use the real evaluation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from alerts.models import Case, CaseStatus, Notification, NotificationKind
from tests.factories import StudentFactory


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # The default hasher costs ~0.25 s per named user and proves nothing here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://early-warning.example"


def make_case(student, *, opened_at: dt.datetime | None = None, **fields) -> Case:
    day = (opened_at or timezone.now()).date()
    return Case.objects.create(
        student=student,
        status=fields.pop("status", CaseStatus.NEW),
        first_evidence_on=day - dt.timedelta(days=14),
        last_evidence_on=day,
        persisted_since=day - dt.timedelta(days=14),
        last_fired_on=day,
        opened_at=opened_at or timezone.now(),
        **fields,
    )


def make_notification(case, recipient, *, kind=NotificationKind.OPENED, **fields) -> Notification:
    return Notification.objects.create(
        case=case,
        recipient=recipient,
        kind=kind,
        change_key=fields.pop("change_key", f"{kind}:1"),
        stage=case.stage,
        severity=case.severity,
        **fields,
    )


@pytest.fixture
def case_a(student_a):
    return make_case(student_a)


@pytest.fixture
def more_students(school_a):
    def make(n: int):
        return [StudentFactory(school=school_a, code=f"S-{9000 + i:04d}") for i in range(n)]

    return make
