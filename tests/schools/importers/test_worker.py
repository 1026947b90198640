"""An upload is imported by a real Celery worker (Redis broker, the test PostgreSQL database)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from schools.models import AttendanceRecord, ImportJob, Role, Student
from tests.factories import MembershipFactory, SchoolFactory, TermFactory, UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def worker(tmp_path):
    """A Celery worker process on this test's database; stopped after the test."""
    db = connection.settings_dict
    env = dict(
        os.environ,
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        IMPORT_DIR=str(settings.IMPORT_DIR),
        PSEUDONYM_KEY=settings.PSEUDONYM_KEY,
    )
    queue = f"imports-test-{os.getpid()}"
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "core",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "worker.log", "w"),  # noqa: SIM115
    )
    # Only this test's worker listens on this queue, so no other worker takes the job.
    from core.celery import app

    def route(routes):
        # Celery caches its routing table and router at the first task sent in the process.
        app.conf.task_routes = routes
        app.amqp.flush_routes()
        app.amqp.__dict__.pop("router", None)

    previous = app.conf.task_routes
    route({"schools.tasks.import_job_run": {"queue": queue}})
    try:
        yield queue
    finally:
        route(previous)
        process.terminate()
        process.wait(timeout=20)


def test_an_uploaded_file_is_imported_by_the_worker(api, worker):
    # The worker reads the real clock, and so does this test (tests/clock.py): the term and
    # the marks' day derive from the real today.
    school = SchoolFactory(code="north", name="North")
    TermFactory(school=school)
    ivan = MembershipFactory(
        user=UserFactory(email="ivan@north.test"), school=school, role=Role.INTEGRATION
    ).user
    today = timezone.localdate()
    monday = (today - dt.timedelta(days=today.weekday() + 7)).isoformat()  # last week's
    body = f"student_ref,date,session,code\n1,{monday},AM,N\n2,{monday},PM,I\n"
    upload = SimpleUploadedFile("marks.csv", body.encode(), content_type="text/csv")

    response = api.as_(ivan).post(
        "/api/imports/", {"file": upload, "create_students": "true"}, format="multipart"
    )
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = api.get(f"/api/imports/{job_id}/").json()["status"]
        if status not in ("queued", "running"):
            break
        time.sleep(0.3)
    assert status == "succeeded"
    job = ImportJob.objects.get(pk=job_id)
    assert job.report["attendance_records"]["created"] == 2
    assert AttendanceRecord.objects.count() == 2 and Student.objects.count() == 2
    assert not (Path(settings.IMPORT_DIR) / job.stored_name).exists()
