"""An upload while the broker is down: the upload answers at once and keeps the job; when the
broker is back, the periodic scan queues the job and it is imported once."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from core.celery import app
from schools.importers.jobs import IMPORT_TASK, import_jobs_queue_waiting
from schools.models import AttendanceRecord, ImportJob
from schools.tasks import import_job_run, queue_waiting_imports
from tests.broker_calls import connection_attempts
from tests.clock import fixed_dates
from tests.processes import RedisServer, free_port

pytestmark = [pytest.mark.django_db(transaction=True), fixed_dates]


@pytest.fixture
def broker(monkeypatch, settings):
    server = RedisServer(free_port())
    # Celery reads CELERY_BROKER_URL from the environment before its own setting.
    monkeypatch.setenv("CELERY_BROKER_URL", server.url)
    monkeypatch.setattr(app.conf, "broker_url", server.url)
    settings.CELERY_BROKER_URL = server.url
    yield server
    server.stop()


def _queued_messages(server: RedisServer) -> list[dict]:
    with socket.create_connection(("127.0.0.1", server.port), timeout=2) as sock:
        sock.sendall(b"LRANGE celery 0 -1\r\n")
        time.sleep(0.2)
        raw = sock.recv(1 << 20).decode()
    bodies = [line for line in raw.split("\r\n") if line.startswith("{")]
    return [json.loads(b)["headers"] for b in bodies]


def test_an_upload_with_the_broker_down_waits_then_is_imported_once(api, ivan, broker, monkeypatch):
    body = "student_ref,date,session,code\n1,2026-03-02,AM,N\n"
    upload = SimpleUploadedFile("marks.csv", body.encode(), content_type="text/csv")
    monkeypatch.setattr(settings, "CELERY_BROKER_CONNECTION_TIMEOUT", 0.5)  # this test's bound
    attempts = connection_attempts(monkeypatch, broker.url)

    response = api.as_(ivan).post(
        "/api/imports/", {"file": upload, "create_students": "true"}, format="multipart"
    )

    assert response.status_code == 202, response.content
    # One bounded connection attempt, never Celery's publish retries (which sleep between
    # attempts): the upload does not wait on a broker that is down.
    assert attempts.count == 1
    assert attempts.timeouts() == [0.5]
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert job.status == ImportJob.Status.QUEUED
    assert (Path(settings.IMPORT_DIR) / job.stored_name).exists()  # kept for later

    # Still down: the scan tries, queues nothing, and loses nothing.
    assert import_jobs_queue_waiting(older_than_seconds=0) == 0
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.QUEUED

    broker.start()
    # A job younger than the scan's grace period is left to its first queueing.
    assert queue_waiting_imports() == 0
    assert import_jobs_queue_waiting(older_than_seconds=0) == 1
    messages = _queued_messages(broker)
    assert [(m["task"], m["argsrepr"]) for m in messages] == [(IMPORT_TASK, f"[{job.pk}]")]

    assert import_job_run(job.pk) == "succeeded"  # what the worker runs for that message
    assert import_job_run(job.pk) is None  # a second delivery does nothing
    assert AttendanceRecord.objects.count() == 1
    assert import_jobs_queue_waiting(older_than_seconds=0) == 0
