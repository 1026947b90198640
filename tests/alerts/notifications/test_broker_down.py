"""The broker is down while a teacher records and a case opens: nothing fails, nothing waits
on the broker, and once it is back the notification is delivered exactly once.

A private redis-server on a free port is the broker, so stopping it harms nobody else.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest

from alerts.models import DeliveryAttempt, Notification, NotificationStatus
from alerts.notifications import nudge
from alerts.services import evaluation_run
from alerts.tasks import deliver_notifications
from core.celery import app
from core.models import User
from schools.demo import PATTERNS, seed_demo
from schools.models import Observation
from tests.broker_calls import connection_attempts
from tests.processes import CeleryWorker, read_mail, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

DELIVERED = re.compile(r"Task alerts\.tasks\.deliver_notifications\[[^\]]+\] succeeded")


def test_a_save_and_a_case_change_with_the_broker_down_then_one_delivery(
    api, private_broker, tmp_path, caplog, settings, monkeypatch
):
    demo = seed_demo()
    teacher = User.objects.get(email="teacher@demo.school")
    code = PATTERNS["persistent withdrawal"][0]
    private_broker.stop()
    attempts = connection_attempts(monkeypatch, private_broker.url)

    # A teacher saves an observation through the API: it succeeds without asking the broker.
    response = api.as_(teacher).post(
        "/api/observations/",
        {
            "student": code,
            "observed_on": (demo.school.today() - dt.timedelta(days=1)).isoformat(),
            "signs": ["ISOLATION", "DISTRESS"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert attempts.count == 0
    assert Observation.objects.filter(student__code=code, recorded_by=teacher).exists()

    # The day's evaluation opens the cases; its commit tries to nudge a worker, once.
    caplog.set_level(logging.WARNING, logger="core.broker")
    summary = evaluation_run(school=demo.school)
    assert code in summary.opened
    # Kombu's publish retries would sleep between attempts: one connection attempt, no more,
    # however many cases opened (each commits in its own savepoint).
    assert attempts.count == 1
    nudges = [
        r
        for r in caplog.records
        if "could not queue alerts.tasks.deliver_notifications" in r.getMessage()
    ]
    assert len(nudges) == 1  # one attempt, then the known outage is not paid for again

    # A single nudge on its own costs one attempt bounded by the connection timeout.
    nudge._broker_down_until = 0.0
    nudge._nudge()
    assert attempts.count == 2
    assert attempts.timeouts()[-1] == settings.CELERY_BROKER_CONNECTION_TIMEOUT

    # The outbox holds the change for when the broker is back.
    pending = Notification.objects.filter(case__student__school=demo.school)
    assert pending.count() == len(summary.opened) > 0
    assert set(pending.values_list("status", flat=True)) == {NotificationStatus.PENDING}

    private_broker.start()
    mail_dir = tmp_path / "mail"
    with CeleryWorker(
        broker_url=private_broker.url, mail_dir=mail_dir, log_path=tmp_path / "worker.log"
    ) as worker:
        # What beat does every minute; and the minute after, when nothing more may go out.
        for run in (1, 2):
            with app.connection_for_write() as conn:
                deliver_notifications.apply_async(connection=conn)
            wait_until(
                lambda run=run: len(DELIVERED.findall(worker.log())) == run,
                timeout=60,
                what=f"delivery run {run}",
            )

    messages = read_mail(mail_dir)
    students = sorted(
        line.split(": ", 1)[1]
        for m in messages
        for line in m.get_payload().splitlines()
        if line.startswith("Student: ")
    )
    assert students == sorted(summary.opened)
    for notification in pending:
        assert notification.attempts == 1
        assert (
            DeliveryAttempt.objects.filter(notification=notification, channel="email").count() == 1
        )
