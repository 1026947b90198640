from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone


@shared_task(name="core.tasks.heartbeat")
def heartbeat() -> str:
    """Record that a worker ran a beat-scheduled task (cache key `heartbeat:last`), so an
    operator can tell when beat and a worker last worked together. /health/ does not report
    it: that answers load balancers, with reachability only."""
    now = timezone.now().isoformat()
    cache.set("heartbeat:last", now, timeout=None)
    return now
