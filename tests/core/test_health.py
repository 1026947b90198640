"""/health/ reports whether the service reaches its database and its broker (real Redis)."""

from __future__ import annotations

import socket
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection

from core.celery import app as celery_app
from tests.broker_calls import connection_attempts

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    """A local port nobody listens on: bound, read, released."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def broker_at(monkeypatch, url: str):
    """Point the Celery app at another broker for the duration, then put it back.

    Celery reads CELERY_BROKER_URL from the environment before its own configuration (and
    make test sets it), so both are changed.
    """
    conf = celery_app.conf
    saved = conf.broker_url
    with monkeypatch.context() as m:
        m.setenv("CELERY_BROKER_URL", url)
        conf.broker_url = url
        try:
            yield
        finally:
            conf.broker_url = saved


def test_healthy_with_postgresql_and_redis(client, settings):
    assert settings.CELERY_BROKER_URL.startswith("redis://"), "make test runs against Redis"
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_an_unreachable_broker_is_reported_quickly(client, monkeypatch, settings):
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    settings.CELERY_BROKER_CONNECTION_TIMEOUT = 0.5  # the bound this test sets
    with broker_at(monkeypatch, url):
        attempts = connection_attempts(monkeypatch, url)
        response = client.get("/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "unreachable"}
    # A health check that hangs is as bad as none: the load balancer times out instead. One
    # connection attempt, bounded by the timeout set here, and no retries.
    assert attempts.count == 1
    assert attempts.timeouts() == [0.5]
    # And the app is back on the real broker afterwards.
    assert client.get("/health/").json()["broker"] == "ok"


def test_an_unreachable_database_is_reported(client):
    def refuse(execute, sql, params, many, context):
        raise OperationalError("connection refused")

    with connection.execute_wrapper(refuse):
        response = client.get("/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable", "broker": "ok"}


def test_health_needs_no_login_and_says_nothing_else(client):
    """Load balancers call it anonymously; it must not tell them more than reachability."""
    body = client.get("/health/").json()
    assert set(body) == {"status", "database", "broker"}


@pytest.fixture
def silent_broker(monkeypatch):
    """A port that accepts connections and never answers, like a hung Redis."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        with broker_at(monkeypatch, f"redis://127.0.0.1:{listener.getsockname()[1]}/0"):
            yield listener


def _accepted(listener) -> int:
    """How many connections the listener was sent (each is accepted here, then closed)."""
    count = 0
    while True:
        try:
            conn, _ = listener.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def test_a_broker_that_never_answers_is_one_bounded_attempt(client, settings, silent_broker):
    """A hung broker used to hold /health/ (and the gunicorn worker) for 30 s and more: the
    check now makes one attempt whose connect and reads both give up after
    CELERY_BROKER_CONNECTION_TIMEOUT."""
    settings.CELERY_BROKER_CONNECTION_TIMEOUT = 0.5
    opened = []
    real = celery_app.connection_for_write

    def spy(*args, **kwargs):
        conn = real(*args, **kwargs)
        opened.append(conn)
        if "socket_timeout" not in conn.transport_options:
            # Without a read timeout this request would wait on the silent port forever.
            raise AssertionError("a broker connection without a read timeout")
        return conn

    with pytest.MonkeyPatch.context() as m:
        m.setattr(celery_app, "connection_for_write", spy)
        response = client.get("/health/")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "unreachable"}
    assert len(opened) == 1
    options = opened[0].transport_options
    assert options["socket_timeout"] == options["socket_connect_timeout"] == 0.5
    assert opened[0].connect_timeout == 0.5
    assert _accepted(silent_broker) == 1  # one attempt, no retry
