"""The nudge after a case change: one message on the real broker after commit, none after a
rollback, and a bounded, one-off cost whatever way the broker is broken."""

from __future__ import annotations

import json
import logging
import os
import socket

import pytest
import redis
from django.db import transaction

from alerts.notifications import nudge
from core.celery import app
from tests.broker_calls import connection_attempts

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _broker_not_known_down(monkeypatch):
    monkeypatch.setattr(nudge, "_broker_down_until", 0.0)
    monkeypatch.setattr(nudge, "_last_nudge_at", float("-inf"))


@pytest.fixture
def queue():
    """The default queue on the test broker (a Redis list), emptied before and after."""
    client = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
    client.delete("celery")
    yield client
    client.delete("celery")


@pytest.fixture
def silent_broker(monkeypatch):
    """A port that accepts connections and never answers, like a hung Redis."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
        # Celery reads CELERY_BROKER_URL from the environment before its own setting.
        monkeypatch.setenv("CELERY_BROKER_URL", url)
        monkeypatch.setattr(app.conf, "broker_url", url)
        yield url


def _tasks(queue) -> list[str]:
    return [json.loads(raw)["headers"]["task"] for raw in queue.lrange("celery", 0, -1)]


def test_after_commit_one_delivery_task_is_queued(queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        nudge.deliver_soon()
        assert _tasks(queue) == []  # nothing before the commit

    assert _tasks(queue) == [nudge.DELIVER_TASK]


def test_many_changes_committed_together_queue_one_task(queue, django_capture_on_commit_callbacks):
    # An evaluation opening many cases: one delivery task drains them all.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for _ in range(20):
            with transaction.atomic():  # each case in its own savepoint, as evaluation does
                nudge.deliver_soon()

    assert _tasks(queue) == [nudge.DELIVER_TASK]


def test_a_rolled_back_change_queues_nothing(queue, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        nudge.deliver_soon()
        raise RuntimeError("the case change failed")

    assert _tasks(queue) == []


def test_a_hung_broker_costs_one_timeout_once(settings, monkeypatch, silent_broker, caplog):
    caplog.set_level(logging.WARNING, logger="core.broker")
    settings.CELERY_BROKER_CONNECTION_TIMEOUT = 0.5  # the bound this test sets
    attempts = connection_attempts(monkeypatch, silent_broker)

    nudge._nudge()
    assert attempts.count == 1  # one attempt, no publish retries
    # The broker accepted and never answered: the wait was bounded by the test's timeout.
    assert attempts.timeouts() == [0.5]

    nudge._nudge()
    assert attempts.count == 1  # the outage is known: beat will deliver, no second wait
    warnings = [
        r
        for r in caplog.records
        if "could not queue alerts.tasks.deliver_notifications" in r.getMessage()
    ]
    assert len(warnings) == 1
