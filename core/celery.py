"""The Celery application, configured from Django settings (the CELERY_ prefix).

The beat schedule is declared here, in code, so a change to it is reviewed like code. Tasks
are thin: each loads ids and calls a service function of its app. Every due time that matters
(notification retries, escalation, review reminders) is a database column that these periodic
tasks scan, so a missed beat delays work and never loses it; nothing relies on broker
countdowns.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")

app = Celery("core")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "heartbeat": {"task": "core.tasks.heartbeat", "schedule": 300.0},
    # Daily evaluation of every school's warning-sign rules, fanned out one task per school.
    "alerts-evaluate-all": {
        "task": "alerts.tasks.evaluate_all",
        "schedule": crontab(
            hour=settings.ALERTS_EVALUATION_HOUR, minute=settings.ALERTS_EVALUATION_MINUTE
        ),
    },
    # Once a week every student of every school, whatever changed: the safety net of the
    # incremental runs (alerts/incremental.py).
    "alerts-evaluate-all-full": {
        "task": "alerts.tasks.evaluate_all",
        "schedule": crontab(
            day_of_week=settings.ALERTS_FULL_EVALUATION_DAY,
            hour=settings.ALERTS_EVALUATION_HOUR,
            minute=(settings.ALERTS_EVALUATION_MINUTE + 30) % 60,
        ),
        "kwargs": {"full": True},
    },
    # Near-real-time: the schools whose records changed a few minutes ago.
    "alerts-evaluate-requested": {
        "task": "alerts.tasks.evaluate_requested",
        "schedule": settings.ALERTS_REQUEST_SCAN_SECONDS,
    },
    # The notification outbox.
    "alerts-deliver-notifications": {
        "task": "alerts.tasks.deliver_notifications",
        "schedule": 60.0,
    },
    "alerts-escalate-cases": {
        "task": "alerts.tasks.escalate_cases",
        "schedule": crontab(minute=7),
    },
    # Review dates of cases: the owner is reminded on the day (a column scanned, no timer).
    "alerts-remind-reviews": {
        "task": "alerts.tasks.remind_reviews",
        "schedule": crontab(minute=12),
    },
    # Uploaded imports whose queueing failed (broker down) or whose worker died.
    "schools-queue-waiting-imports": {
        "task": "schools.tasks.queue_waiting_imports",
        "schedule": 300.0,
    },
    # Retention: old records that are not evidence on an open case.
    "alerts-purge-expired-records": {
        "task": "alerts.tasks.purge_expired_records",
        "schedule": crontab(hour=3, minute=30),
    },
}
