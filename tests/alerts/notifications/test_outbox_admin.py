"""The outbox page of the admin: a school admin sees their school's failed notifications
first, with their errors, and can queue them again; another school's are not there."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from alerts.models import Notification, NotificationStatus
from tests.factories import CaseFactory, NotificationFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/alerts/notification/"


@pytest.fixture
def admin_client_adam(client, adam):
    adam.is_staff = True
    adam.save(update_fields=["is_staff"])
    adam.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="alerts", codename__endswith="notification"
        )
    )
    client.force_login(adam)
    return client


@pytest.fixture
def outbox(case_a, carol, adam, student_b, cora):
    case_b = CaseFactory(student=student_b)
    return {
        "pending": NotificationFactory(
            case=case_a, recipient=adam, status=NotificationStatus.PENDING
        ),
        "failed": NotificationFactory(
            case=case_a,
            recipient=carol,
            status=NotificationStatus.FAILED,
            attempts=6,
            last_error="SMTPRecipientsRefused: mailbox unavailable",
        ),
        "foreign_failed": NotificationFactory(
            case=case_b,
            recipient=cora,
            status=NotificationStatus.FAILED,
            last_error="SMTP down at south",
        ),
    }


def test_failed_notifications_are_listed_first_with_their_error(admin_client_adam, outbox):
    response = admin_client_adam.get(CHANGELIST)

    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert shown[0] == outbox["failed"]
    assert outbox["foreign_failed"] not in shown
    assert "mailbox unavailable" in response.content.decode()
    assert "SMTP down at south" not in response.content.decode()

    only_failed = admin_client_adam.get(CHANGELIST, {"status__exact": "failed"})
    assert list(only_failed.context["cl"].result_list) == [outbox["failed"]]


def test_the_retry_action_queues_a_failed_notification_again(admin_client_adam, outbox):
    ids = [outbox["failed"].pk, outbox["foreign_failed"].pk]
    response = admin_client_adam.post(
        CHANGELIST, {"action": "retry_failed", "_selected_action": ids}, follow=True
    )

    assert response.status_code == 200
    outbox["failed"].refresh_from_db()
    outbox["foreign_failed"].refresh_from_db()
    assert outbox["failed"].status == NotificationStatus.PENDING
    assert outbox["failed"].attempts == 0
    # Not visible to adam, so not his to retry.
    assert outbox["foreign_failed"].status == NotificationStatus.FAILED


def test_the_outbox_cannot_be_edited_or_deleted(admin_client_adam, outbox):
    notification = outbox["failed"]
    url = f"{CHANGELIST}{notification.pk}/change/"
    admin_client_adam.post(url, {"status": "sent"})
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    assert admin_client_adam.post(f"{CHANGELIST}{notification.pk}/delete/").status_code == 403
    assert Notification.objects.filter(pk=notification.pk).exists()
