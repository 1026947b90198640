"""Fixtures for the notification tests: cases and outbox rows made by the factories
(CaseFactory, NotificationFactory), so delivery and escalation are tested on their own; the
end-to-end tests use the real evaluation."""

from __future__ import annotations

import pytest

from alerts.notifications import nudge
from core.celery import app
from tests.factories import CaseFactory, StudentFactory
from tests.processes import RedisServer, free_port


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


@pytest.fixture
def private_broker(monkeypatch, settings):
    """A Redis server of the test's own, which it may stop and start: the broker that the
    service (web and worker) uses for this test; the nudge's memory of a broker that was
    down starts empty."""
    server = RedisServer(free_port())
    server.start()
    # Celery reads CELERY_BROKER_URL from the environment before its own setting.
    monkeypatch.setenv("CELERY_BROKER_URL", server.url)
    monkeypatch.setattr(app.conf, "broker_url", server.url)
    settings.CELERY_BROKER_URL = server.url
    monkeypatch.setattr(nudge, "_broker_down_until", 0.0)
    monkeypatch.setattr(nudge, "_last_nudge_at", float("-inf"))
    yield server
    server.stop()
