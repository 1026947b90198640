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


@shared_task(name="core.tasks.send_password_reset")
def send_password_reset(email: str, domain: str, site_name: str, use_https: bool) -> int:
    """Queued by the password-reset page; see core.accounts.password_reset_send."""
    from .accounts import password_reset_send

    return password_reset_send(email=email, domain=domain, site_name=site_name, use_https=use_https)
