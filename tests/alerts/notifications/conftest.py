"""Fixtures for the notification tests: cases and outbox rows made by the factories
(CaseFactory, NotificationFactory), so delivery and escalation are tested on their own; the
end-to-end tests use the real evaluation."""

from __future__ import annotations

import pytest

from tests.factories import CaseFactory, StudentFactory


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # The default hasher costs ~0.25 s per named user and proves nothing here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://early-warning.example"


@pytest.fixture
def case_a(student_a):
    return CaseFactory(student=student_a)


@pytest.fixture
def more_students(school_a):
    def make(n: int):
        return [StudentFactory(school=school_a, code=f"S-{9000 + i:04d}") for i in range(n)]

    return make
