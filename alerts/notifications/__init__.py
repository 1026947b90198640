"""Telling people about cases: the outbox rows (outbox), their delivery by e-mail and in-app
notice with retries (delivery), the nudge that asks a worker to deliver after a change
(nudge), the escalation of a case nobody acknowledged (escalation), the review reminders of
case owners (reminders), the in-app inbox API (api) and the outbox page of the admin (admin).

The names other modules use are importable from `alerts.notifications`; `api` and `admin`
are loaded by the router and the admin site, not from here.
"""

from __future__ import annotations

from .delivery import (
    DELIVER_TASK,
    DeliveryReport,
    case_link,
    notification_deliver,
    notification_retry,
    notifications_deliver_due,
    notifications_drain,
)
from .escalation import (
    case_escalate,
    cases_escalate_due,
    escalation_deadline,
    escalation_due_at,
    escalation_recipients,
)
from .nudge import deliver_soon
from .outbox import Recipients, case_changed, cases_changed, change_key, recipients_for
from .reminders import case_remind_review, reviews_remind_due

__all__ = [
    "DELIVER_TASK",
    "DeliveryReport",
    "Recipients",
    "case_changed",
    "case_escalate",
    "case_link",
    "case_remind_review",
    "cases_changed",
    "cases_escalate_due",
    "change_key",
    "deliver_soon",
    "escalation_deadline",
    "escalation_due_at",
    "escalation_recipients",
    "notification_deliver",
    "notification_retry",
    "notifications_deliver_due",
    "notifications_drain",
    "recipients_for",
    "reviews_remind_due",
]
