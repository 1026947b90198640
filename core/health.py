"""/health/: can the service reach its database and its broker?"""

from __future__ import annotations

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from .broker import broker_reachable


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any failure means "not reachable"; the reason goes to the log
        return False


def broker_ok() -> bool:
    # One attempt, connect and reads bounded: a hung broker must not hold the request (and a
    # gunicorn worker) until the load balancer gives up.
    return broker_reachable()


@never_cache
def health(request):
    checks = {"database": database_ok(), "broker": broker_ok()}
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "unavailable"} | {
        name: "ok" if ok else "unreachable" for name, ok in checks.items()
    }
    return JsonResponse(body, status=200 if healthy else 503)
