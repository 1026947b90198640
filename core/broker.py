"""Publishing to the broker from a web request, without ever waiting on a broker that is down.

Celery's ordinary publish retries the connection and waits between retries, which would hold a
teacher's request up while Redis is unreachable. Work that the service queues from a request
is always also found later by a beat task scanning the database (the notification outbox,
queued imports), so one bounded attempt is enough: if it fails, beat picks the work up.
"""

from __future__ import annotations

import logging

from django.conf import settings

logger = logging.getLogger(__name__)


def publish_quickly(task_name: str, *, args: tuple | list = ()) -> bool:
    """Send `task_name` with one connection attempt bounded by CELERY_BROKER_CONNECTION_TIMEOUT.

    Bounded in every way a broker can fail: refused (at once), unreachable (connect timeout),
    or accepting and then silent, like a hung Redis (read timeout). The timeouts apply to this
    connection only, not to the workers'. Returns False, and logs a warning, when the broker
    could not take the task; never raises.
    """
    from .celery import app

    timeout = settings.CELERY_BROKER_CONNECTION_TIMEOUT
    options = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
    try:
        with app.connection_for_write(connect_timeout=timeout, transport_options=options) as conn:
            # max_retries=0: one attempt, no waiting between retries.
            conn.ensure_connection(max_retries=0, timeout=timeout)
            app.send_task(task_name, args=list(args), connection=conn, retry=False)
    except Exception as exc:  # the broker is down or refusing: beat will pick the work up
        logger.warning("could not queue %s (%s); a periodic task will pick it up", task_name, exc)
        return False
    return True
