"""The Celery application, configured from Django settings (the CELERY_ prefix).

The beat schedule is declared here, in code, so a change to it is reviewed like code. Tasks
are thin: each loads ids and calls a service function of its app.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")

app = Celery("core")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "heartbeat": {"task": "core.tasks.heartbeat", "schedule": 300.0},
}


def _alerts_schedule() -> dict:
    from django.conf import settings

    return {
        # Daily evaluation of every school's warning-sign rules, one task per school.
        "alerts-evaluate-all": {
            "task": "alerts.tasks.evaluate_all",
            "schedule": crontab(
                hour=settings.ALERTS_EVALUATION_HOUR, minute=settings.ALERTS_EVALUATION_MINUTE
            ),
        },
    }


app.conf.beat_schedule.update(_alerts_schedule())

# Notification delivery (the outbox) and escalation: the due times are database columns, so
# beat only has to look often enough; a missed beat delays, never loses.
app.conf.beat_schedule.update(
    {
        "alerts-deliver-notifications": {
            "task": "alerts.tasks.deliver_notifications",
            "schedule": 60.0,
        },
        "alerts-escalate-cases": {
            "task": "alerts.tasks.escalate_cases",
            "schedule": crontab(minute=7),
        },
    }
)
