"""The nudge after a case change: ask a worker to deliver the outbox now, once the
transaction that wrote the rows has committed (alerts.notifications.delivery delivers them;
beat's every-minute delivery is the guarantee)."""

from __future__ import annotations

import time

from django.db import transaction

from core.broker import publish_quickly

from .delivery import DELIVER_TASK

# While the broker is known to be down, do not pay the connection timeout on every case
# change: beat delivers everything within a minute of the broker coming back anyway.
BROKER_DOWN_BACKOFF_SECONDS = 30.0
_broker_down_until = 0.0
# An evaluation that opens many cases commits them at once, and each registered a nudge: one
# delivery task takes them all (it works until the outbox is empty), so the rest are skipped.
NUDGE_DEBOUNCE_SECONDS = 1.0
_last_nudge_at = float("-inf")


def deliver_soon() -> None:
    """Ask a worker to deliver now, once the current transaction has committed.

    Best effort by design: the rows are already in the outbox, and beat's every-minute
    delivery is the guarantee. So a broker that is down costs at most one connection attempt
    (CELERY_BROKER_CONNECTION_TIMEOUT) and never fails the request or rolls anything back.
    """
    transaction.on_commit(_nudge, robust=True)


def _nudge() -> None:
    global _broker_down_until, _last_nudge_at
    now = time.monotonic()
    if now < _broker_down_until or now - _last_nudge_at < NUDGE_DEBOUNCE_SECONDS:
        return
    if publish_quickly(DELIVER_TASK):
        _last_nudge_at = time.monotonic()
    else:  # the broker is down: beat delivers the rows once it is back
        _broker_down_until = time.monotonic() + BROKER_DOWN_BACKOFF_SECONDS
