"""The Celery application, configured from Django settings (the CELERY_ prefix).

The beat schedule is declared here, in code, so a change to it is reviewed like code. Tasks
are thin: each loads ids and calls a service function of its app.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")

app = Celery("core")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "heartbeat": {"task": "core.tasks.heartbeat", "schedule": 300.0},
}
