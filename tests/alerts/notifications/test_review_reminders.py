"""Review reminders: on the review date (a school day) the owner gets one in-app notice and
one e-mail through the outbox; never twice, never on a weekend, never for a resolved case."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from alerts.models import CaseStatus, EventKind, Notice, Notification, NotificationKind
from alerts.notifications import notifications_deliver_due, reviews_remind_due
from alerts.tasks import remind_reviews
from tests.factories import CaseFactory

# 09:00 in London (GMT in March before the 29th) on a Friday and the next Monday.
FRIDAY = dt.datetime(2026, 3, 27, 9, 0, tzinfo=dt.UTC)
SATURDAY = FRIDAY + dt.timedelta(days=1)
MONDAY = FRIDAY + dt.timedelta(days=3)


@pytest.fixture
def owned(student_a, carol):
    return CaseFactory(student=student_a, owner=carol, review_on=FRIDAY.date(), opened_at=FRIDAY)


@pytest.mark.django_db
def test_the_owner_is_reminded_once_on_the_review_date(owned, carol):
    assert reviews_remind_due(now=FRIDAY - dt.timedelta(days=1)) == []
    assert [c.pk for c in reviews_remind_due(now=FRIDAY)] == [owned.pk]
    assert reviews_remind_due(now=FRIDAY + dt.timedelta(hours=1)) == []
    (row,) = Notification.objects.filter(case=owned)
    assert (row.recipient, row.kind, row.change_key) == (
        carol,
        NotificationKind.REVIEW_DUE,
        "review:2026-03-27:1",
    )
    assert owned.events.filter(kind=EventKind.REVIEW_DUE).count() == 1

    assert notifications_deliver_due(now=FRIDAY).sent == 1
    (message,) = mail.outbox
    assert message.to == [carol.email]
    assert "due for review" in message.subject
    assert "S-0042" not in message.subject, "no student code where lock screens show it"
    assert f"/cases/{owned.pk}/" in message.body
    notice = Notice.objects.get(user=carol)
    assert notice.text.startswith("A case you own is due for review: S-0042")


@pytest.mark.django_db
def test_a_review_date_on_a_weekend_reminds_on_the_next_school_day(student_a, carol):
    case = CaseFactory(student=student_a, owner=carol, review_on=SATURDAY.date(), opened_at=FRIDAY)
    assert reviews_remind_due(now=SATURDAY) == []
    assert reviews_remind_due(now=SATURDAY + dt.timedelta(days=1)) == []
    assert [c.pk for c in reviews_remind_due(now=MONDAY)] == [case.pk]


@pytest.mark.django_db
def test_a_new_review_date_reminds_again_and_a_resolved_case_never(owned, carol):
    reviews_remind_due(now=FRIDAY)
    owned.review_on = MONDAY.date()
    owned.save(update_fields=["review_on"])
    assert [c.pk for c in reviews_remind_due(now=MONDAY)] == [owned.pk]
    assert Notification.objects.filter(case=owned, kind=NotificationKind.REVIEW_DUE).count() == 2

    owned.review_on = (MONDAY + dt.timedelta(days=1)).date()
    owned.status = CaseStatus.RESOLVED
    owned.resolved_at = MONDAY
    owned.save(update_fields=["review_on", "status", "resolved_at"])
    assert reviews_remind_due(now=MONDAY + dt.timedelta(days=1)) == []


@pytest.mark.django_db
def test_an_unowned_case_reminds_nobody(student_a):
    CaseFactory(student=student_a, review_on=FRIDAY.date(), opened_at=FRIDAY)
    assert reviews_remind_due(now=FRIDAY) == []
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_the_beat_task_calls_the_scan(owned, settings, time_machine):
    time_machine.move_to(FRIDAY, tick=False)
    assert remind_reviews() == 1
    assert remind_reviews() == 0
