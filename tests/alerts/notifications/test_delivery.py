"""Delivery of the outbox: one e-mail and one in-app notice per notification, every attempt
recorded, retries with exponential backoff, a permanent failure marked, stale claims taken
over, and messages that say nothing about a student but the code."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from alerts.models import DeliveryAttempt, Notice, Notification, NotificationStatus
from alerts.notifications import case_link, notifications_deliver_due, notifications_drain
from schools.models import Membership
from tests.factories import CaseFactory, NotificationFactory, ObservationFactory

from .backends import FlakyBackend

pytestmark = pytest.mark.django_db

FLAKY = "tests.alerts.notifications.backends.FlakyBackend"


def _attempts(notification, channel="email"):
    return list(
        DeliveryAttempt.objects.filter(notification=notification, channel=channel).values_list(
            "ok", flat=True
        )
    )


def test_a_notification_is_sent_once_by_email_and_in_app(case_a, carol):
    notification = NotificationFactory(case=case_a, recipient=carol)

    report = notifications_deliver_due()
    again = notifications_deliver_due()

    notification.refresh_from_db()
    assert (report.sent, again.handled) == (1, 0)
    assert notification.status == NotificationStatus.SENT
    assert notification.sent_at is not None and notification.attempts == 1
    assert [m.to for m in mail.outbox] == [[carol.email]]
    notice = Notice.objects.get(notification=notification)
    assert (notice.user, notice.case) == (carol, case_a)
    assert case_a.student.code in notice.text
    assert _attempts(notification) == [True]
    assert _attempts(notification, "in_app") == [True]


def test_the_email_carries_the_code_the_stage_and_a_link_and_nothing_else(
    case_a, carol, alice, school_a
):
    note = "Sits alone by the gym at every lunch break"
    ObservationFactory(student=case_a.student, recorded_by=alice, note=note, signs=["ISOLATION"])
    case_a.stage, case_a.severity = "pre_withdrawal", "high"
    case_a.save()
    NotificationFactory(case=case_a, recipient=carol)

    notifications_deliver_due()

    [message] = mail.outbox
    body = message.body
    assert case_a.student.code in body
    assert "Pre-withdrawal" in body and "High" in body
    link = case_link(case_a.pk)
    assert link == f"https://early-warning.example/cases/{case_a.pk}/"
    assert link in body
    # Nothing about the student beyond the code: no note, no school, no year group, no
    # observer; the subject does not even carry the code.
    for leaked in (note, "gym", school_a.name, school_a.code, alice.email, "ISOLATION", "Year"):
        assert leaked not in body and leaked not in message.subject
    assert case_a.student.code not in message.subject
    labelled = dict(re.findall(r"^(\w[\w ]*): (.+)$", body, flags=re.MULTILINE))
    assert set(labelled) == {"Student", "Stage", "Severity", "Open the case"}


def test_email_failing_twice_then_succeeding_sends_one_email_after_three_attempts(
    settings, case_a, carol
):
    settings.EMAIL_BACKEND = FLAKY
    settings.NOTIFY_BACKOFF_SECONDS = 60
    FlakyBackend.reset(failures=2)
    notification = NotificationFactory(case=case_a, recipient=carol)
    t0 = timezone.now()

    notifications_deliver_due(now=t0)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    assert notification.attempts == 1
    assert notification.next_attempt_at == t0 + dt.timedelta(seconds=60)
    assert "SMTPServerDisconnected" in notification.last_error

    # Not due yet: nothing is tried before the backoff has passed.
    assert notifications_deliver_due(now=t0 + dt.timedelta(seconds=59)).handled == 0

    t1 = t0 + dt.timedelta(seconds=60)
    notifications_deliver_due(now=t1)
    notification.refresh_from_db()
    assert notification.attempts == 2
    assert notification.next_attempt_at == t1 + dt.timedelta(seconds=120)  # doubled

    notifications_deliver_due(now=t1 + dt.timedelta(seconds=120))
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.attempts == 3 and notification.last_error == ""
    assert len(mail.outbox) == 1
    assert FlakyBackend.calls == 3
    assert _attempts(notification) == [False, False, True]
    # The in-app notice was made on the first try and not repeated by the retries.
    assert Notice.objects.filter(notification=notification).count() == 1
    assert _attempts(notification, "in_app") == [True]


def test_after_the_last_attempt_the_notification_is_failed_with_its_error(settings, case_a, carol):
    settings.EMAIL_BACKEND = FLAKY
    settings.NOTIFY_MAX_ATTEMPTS = 3
    FlakyBackend.reset(failures=100)
    notification = NotificationFactory(case=case_a, recipient=carol)
    now = timezone.now()

    for _ in range(5):
        notifications_deliver_due(now=now)
        now += dt.timedelta(hours=1)

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    assert notification.attempts == 3
    assert "Connection unexpectedly closed" in notification.last_error
    assert _attempts(notification) == [False, False, False]
    assert FlakyBackend.calls == 3  # nothing after the limit
    assert mail.outbox == []


def test_a_claim_left_by_a_dead_sender_is_taken_over_and_a_live_one_is_not(
    settings, case_a, carol, adam
):
    settings.NOTIFY_CLAIM_TIMEOUT = 600
    now = timezone.now()
    dead = NotificationFactory(
        case=case_a,
        recipient=carol,
        status=NotificationStatus.SENDING,
        claimed_at=now - dt.timedelta(seconds=601),
    )
    live = NotificationFactory(
        case=case_a,
        recipient=adam,
        status=NotificationStatus.SENDING,
        claimed_at=now - dt.timedelta(seconds=30),
    )

    report = notifications_deliver_due(now=now)

    dead.refresh_from_db()
    live.refresh_from_db()
    assert report.sent == 1
    assert dead.status == NotificationStatus.SENT
    assert live.status == NotificationStatus.SENDING and live.claimed_at < now
    assert [m.to for m in mail.outbox] == [[carol.email]]


def test_a_recipient_who_left_the_school_is_not_told(case_a, carol):
    notification = NotificationFactory(case=case_a, recipient=carol)
    Membership.objects.filter(user=carol).delete()

    notifications_deliver_due()

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    assert "no longer" in notification.last_error
    assert mail.outbox == []
    assert not Notice.objects.exists()


def test_oldest_due_first_and_at_most_limit_per_run(case_a, carol, adam):
    now = timezone.now()
    older = NotificationFactory(
        case=case_a, recipient=carol, next_attempt_at=now - dt.timedelta(minutes=5)
    )
    NotificationFactory(case=case_a, recipient=adam, next_attempt_at=now - dt.timedelta(minutes=1))

    report = notifications_deliver_due(now=now, limit=1)

    assert report.sent == 1
    assert Notification.objects.get(status=NotificationStatus.SENT) == older


def test_the_delivery_task_drains_the_outbox_batch_by_batch(carol, more_students):
    for student in more_students(5):
        NotificationFactory(case=CaseFactory(student=student), recipient=carol)

    assert notifications_drain(batch_size=2) == 5
    assert not Notification.objects.exclude(status=NotificationStatus.SENT).exists()
    assert len(mail.outbox) == 5
