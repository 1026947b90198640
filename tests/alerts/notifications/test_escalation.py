"""Escalation of unacknowledged cases, on the school's calendar, with time given explicitly.

The school (Europe/London; in November local time is UTC) has a closure on Tuesday
2026-11-24. A case opened on Friday 2026-11-20 has had its two school days on Monday 23 and
Wednesday 25 (the weekend and the closure do not count), so it escalates at the start of
Thursday 26.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from alerts.models import CaseEvent, EventKind, Notification, NotificationKind
from alerts.notifications import cases_escalate_due, escalation_deadline, notifications_deliver_due
from alerts.services import case_acknowledge
from schools.models import Role
from tests.clock import fixed_dates
from tests.factories import (
    CaseFactory,
    ClosureDayFactory,
    MembershipFactory,
    NotificationFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, fixed_dates]

UTC = dt.UTC
OPENED = dt.datetime(2026, 11, 20, 18, 0, tzinfo=UTC)  # Friday evening's evaluation
DUE = dt.datetime(2026, 11, 26, 0, 0, tzinfo=UTC)  # Thursday, 00:00 at the school


@pytest.fixture
def dora(school_a):
    """The deputy of school A: a counsellor there."""
    user = UserFactory(email="dora@north.test")
    MembershipFactory(user=user, school=school_a, role=Role.COUNSELLOR)
    school_a.deputy = user
    school_a.save(update_fields=["deputy"])
    return user


@pytest.fixture
def closure(school_a):
    return ClosureDayFactory(school=school_a, date=dt.date(2026, 11, 24), reason="INSET")


@pytest.fixture
def new_case(student_a, carol, closure):
    case = CaseFactory(student=student_a, opened_at=OPENED)
    NotificationFactory(
        case=case, recipient=carol
    )  # carol, the counsellor, was told when it opened
    return case


def _escalations(case):
    return list(
        Notification.objects.filter(case=case, kind=NotificationKind.ESCALATED).values_list(
            "recipient__email", flat=True
        )
    )


def test_the_deadline_skips_the_weekend_and_the_closure(school_a, closure):
    terms = [(dt.date(2026, 9, 1), dt.date(2026, 12, 18))]
    deadline = escalation_deadline(
        opened_at=OPENED, school=school_a, terms=terms, closed={closure.date}, school_days=2
    )
    assert deadline == DUE
    # Without the closure, Tuesday is the second school day.
    deadline = escalation_deadline(
        opened_at=OPENED, school=school_a, terms=terms, closed=set(), school_days=2
    )
    assert deadline == dt.datetime(2026, 11, 25, 0, 0, tzinfo=UTC)


def test_the_deadline_waits_for_the_next_term(school_a):
    terms = [
        (dt.date(2026, 9, 1), dt.date(2026, 11, 20)),
        (dt.date(2026, 12, 1), dt.date(2027, 3, 1)),
    ]
    deadline = escalation_deadline(
        opened_at=OPENED, school=school_a, terms=terms, closed=set(), school_days=2
    )
    # Term 2 starts on Tuesday 1 December: Tuesday and Wednesday are the two school days.
    assert deadline == dt.datetime(2026, 12, 3, 0, 0, tzinfo=UTC)


def test_an_unacknowledged_case_escalates_to_the_deputy_once(new_case, dora, carol):
    assert cases_escalate_due(now=DUE - dt.timedelta(minutes=1)) == []
    new_case.refresh_from_db()
    assert new_case.escalate_at == DUE  # the scan wrote the column it goes by
    assert new_case.escalated_at is None

    escalated = cases_escalate_due(now=DUE)
    again = cases_escalate_due(now=DUE + dt.timedelta(hours=1))
    later = cases_escalate_due(now=DUE + dt.timedelta(days=7))

    assert [c.pk for c in escalated] == [new_case.pk]
    assert again == [] and later == []
    new_case.refresh_from_db()
    assert new_case.escalated_at == DUE
    assert _escalations(new_case) == [dora.email]
    events = CaseEvent.objects.filter(case=new_case, kind=EventKind.ESCALATION)
    assert events.count() == 1
    assert events.get().detail["recipient_ids"] == [dora.pk]
    # Due from the escalation time itself, whatever the wall clock says when the test runs.
    assert Notification.objects.get(kind=NotificationKind.ESCALATED).next_attempt_at == DUE

    notifications_deliver_due(now=DUE)
    to_dora = [m for m in mail.outbox if m.to == [dora.email]]
    assert len(to_dora) == 1
    assert new_case.student.code in to_dora[0].body
    assert "not been acknowledged" in to_dora[0].body


def test_a_case_acknowledged_in_time_escalates_to_nobody(new_case, dora, carol):
    case_acknowledge(case=new_case, by=carol)

    assert cases_escalate_due(now=DUE + dt.timedelta(days=3)) == []

    new_case.refresh_from_db()
    assert new_case.escalated_at is None
    assert _escalations(new_case) == []
    assert not CaseEvent.objects.filter(case=new_case, kind=EventKind.ESCALATION).exists()


def test_without_a_deputy_the_school_admins_are_told(new_case, adam, carol):
    cases_escalate_due(now=DUE)
    assert _escalations(new_case) == [adam.email]


def test_a_deputy_who_is_the_students_own_counsellor_is_passed_over_for_the_admins(
    new_case, dora, adam
):
    # The deputy was told when the case opened (they are the student's counsellor): escalating
    # to them would tell nobody new.
    NotificationFactory(case=new_case, recipient=dora)
    cases_escalate_due(now=DUE)
    assert _escalations(new_case) == [adam.email]


def test_an_escalation_time_set_when_the_case_opened_is_the_one_used(student_a, dora):
    case = CaseFactory(student=student_a, opened_at=OPENED)
    case.escalate_at = OPENED + dt.timedelta(hours=1)
    case.save(update_fields=["escalate_at"])

    assert [c.pk for c in cases_escalate_due(now=OPENED + dt.timedelta(hours=1))] == [case.pk]
    assert _escalations(case) == [dora.email]


def test_escalation_can_be_switched_off(settings, new_case, dora):
    settings.ESCALATE_AFTER_SCHOOL_DAYS = 0
    assert cases_escalate_due(now=DUE + dt.timedelta(days=30)) == []
    assert _escalations(new_case) == []


class FrozenClock:
    """Django's clock stopped at a given instant, moved on by hand (no library: every piece
    of this path reads the time through django.utils.timezone.now)."""

    def __init__(self, at: dt.datetime):
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at


@pytest.fixture
def clock(monkeypatch):
    from django.utils import timezone

    frozen = FrozenClock(OPENED)
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


def _deputy_mail(dora):
    return [m for m in mail.outbox if m.to == [dora.email]]


def test_frozen_clock_unacknowledged_the_beat_tasks_tell_the_deputy_once(
    clock, new_case, dora, carol
):
    from alerts.tasks import deliver_notifications, escalate_cases

    clock.at = DUE - dt.timedelta(minutes=1)
    assert escalate_cases() == 0
    clock.at = DUE + dt.timedelta(minutes=7)  # the hourly scan after the deadline
    assert escalate_cases() == 1
    deliver_notifications()
    for hours in (1, 2, 24):  # later scans and deliveries
        clock.at = DUE + dt.timedelta(hours=hours)
        assert escalate_cases() == 0
        deliver_notifications()
    assert len(_deputy_mail(dora)) == 1
    assert _escalations(new_case) == [dora.email]
    new_case.refresh_from_db()
    assert new_case.escalated_at == DUE + dt.timedelta(minutes=7)


def test_frozen_clock_acknowledged_in_time_nobody_is_told(clock, new_case, dora, carol):
    from alerts.tasks import deliver_notifications, escalate_cases

    # Monday morning, inside the two school days.
    clock.at = dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    case_acknowledge(case=new_case, by=carol)
    new_case.refresh_from_db()
    assert new_case.acknowledged_at == clock.at < DUE
    for hours in (0, 1, 24, 24 * 7):
        clock.at = DUE + dt.timedelta(hours=hours)
        assert escalate_cases() == 0
        deliver_notifications()
    assert _deputy_mail(dora) == []
    assert _escalations(new_case) == []
    assert not CaseEvent.objects.filter(case=new_case, kind=EventKind.ESCALATION).exists()
