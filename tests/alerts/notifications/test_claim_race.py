"""Two senders at once, on two real database connections: each notification is sent once.

transaction=True so that each thread's claim is committed and visible to the other, as it
is between two Celery workers.
"""

from __future__ import annotations

import pytest
from django.core import mail

from alerts.models import DeliveryAttempt, Notification, NotificationStatus
from alerts.notifications import notifications_deliver_due
from tests.factories import CaseFactory, NotificationFactory
from tests.threads import at_once

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_senders_at_once_send_each_notification_exactly_once(
    settings, carol, adam, more_students
):
    settings.EMAIL_BACKEND = "tests.alerts.notifications.backends.SlowBackend"
    for student in more_students(15):
        case = CaseFactory(student=student)
        NotificationFactory(case=case, recipient=carol)
        NotificationFactory(case=case, recipient=adam)
    total = Notification.objects.count()
    assert total == 30

    reports, errors = at_once(notifications_deliver_due)

    assert errors == []
    assert sum(r.sent for r in reports) == total
    assert len(mail.outbox) == total
    sent_pairs = [(m.to[0], m.body) for m in mail.outbox]
    assert len(set(sent_pairs)) == total  # no (recipient, case) message twice
    assert Notification.objects.filter(status=NotificationStatus.SENT).count() == total
    assert DeliveryAttempt.objects.filter(channel="email").count() == total
    # Both senders took part: the claim, not luck in timing, kept them apart.
    assert all(r.sent > 0 for r in reports), [r.sent for r in reports]
