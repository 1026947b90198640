"""Publishing to the broker from a web request, without ever waiting on a broker that is down.

Celery's ordinary publish retries the connection and waits between retries, which would hold a
teacher's request up while Redis is unreachable. Work that the service queues from a request
is always also found later by a beat task scanning the database (the notification outbox,
queued imports), so one bounded attempt is enough: if it fails, beat picks the work up.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

from django.conf import settings

logger = logging.getLogger(__name__)


@contextmanager
def _bounded_connection():
    """A broker connection, established with one attempt, whose connect and every read are
    bounded by CELERY_BROKER_CONNECTION_TIMEOUT (for this connection only, not the workers').
    Raises when the broker cannot be reached within that bound."""
    from .celery import app

    timeout = settings.CELERY_BROKER_CONNECTION_TIMEOUT
    options = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
    with app.connection_for_write(connect_timeout=timeout, transport_options=options) as conn:
        # max_retries=0: one attempt, no waiting between retries.
        conn.ensure_connection(max_retries=0, timeout=timeout)
        yield conn


def broker_reachable() -> bool:
    """Whether the broker answers within one bounded attempt (see _bounded_connection), for
    /health/: a broker that accepts connections and never answers costs one timeout, never a
    hung request. Never raises."""
    try:
        with _bounded_connection():
            return True
    except Exception as exc:
        logger.warning("the broker is unreachable (%s)", exc)
        return False


def publish_quickly(task_name: str, *, args: tuple | list = ()) -> bool:
    """Send `task_name` with one connection attempt bounded by CELERY_BROKER_CONNECTION_TIMEOUT.

    Bounded in every way a broker can fail: refused (at once), unreachable (connect timeout),
    or accepting and then silent, like a hung Redis (read timeout). The timeouts apply to this
    connection only, not to the workers'. Returns False, and logs a warning, when the broker
    could not take the task; never raises.
    """
    from .celery import app

    try:
        with _bounded_connection() as conn:
            app.send_task(task_name, args=list(args), connection=conn, retry=False)
    except Exception as exc:  # the broker is down or refusing: beat will pick the work up
        logger.warning("could not queue %s (%s); a periodic task will pick it up", task_name, exc)
        return False
    return True
