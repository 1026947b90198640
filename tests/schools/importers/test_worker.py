"""An upload is imported by a real Celery worker (Redis broker, the test PostgreSQL database)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from schools.models import AttendanceRecord, ImportJob, Role, Student
from tests.factories import MembershipFactory, SchoolFactory, TermFactory, UserFactory
from tests.processes import wait_while_pending

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_an_uploaded_file_is_imported_by_the_worker(api, worker_for):
    # The worker reads the uploads from this test's directory with the test's key.
    worker_for(
        "schools.tasks.import_job_run",
        env={"IMPORT_DIR": str(settings.IMPORT_DIR), "PSEUDONYM_KEY": settings.PSEUDONYM_KEY},
    )
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

    status = wait_while_pending(
        lambda: api.get(f"/api/imports/{job_id}/").json(),
        timeout=60,
        what="the worker to run the import",
    )["status"]
    assert status == "succeeded"
    job = ImportJob.objects.get(pk=job_id)
    assert job.report["attendance_records"]["created"] == 2
    assert AttendanceRecord.objects.count() == 2 and Student.objects.count() == 2
    assert not (Path(settings.IMPORT_DIR) / job.stored_name).exists()


def test_the_worker_writes_a_refusal_in_the_uploaders_language(api, worker_for):
    """The worker runs in no one's language: a Japanese admin's report is in Japanese."""
    worker_for(
        "schools.tasks.import_job_run",
        env={"IMPORT_DIR": str(settings.IMPORT_DIR), "PSEUDONYM_KEY": settings.PSEUDONYM_KEY},
    )
    school = SchoolFactory(code="north", name="North")
    TermFactory(school=school)
    admin = MembershipFactory(
        user=UserFactory(email="aiko@north.test", language="ja"),
        school=school,
        role=Role.SCHOOL_ADMIN,
    ).user
    today = timezone.localdate()
    monday = (today - dt.timedelta(days=today.weekday() + 7)).isoformat()
    body = f"student_ref,date,session,code\n1,{monday},AM,N\n2,{monday},XX,N\n"
    upload = SimpleUploadedFile("marks.csv", body.encode(), content_type="text/csv")

    response = api.as_(admin).post("/api/imports/", {"file": upload}, format="multipart")
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]

    polled = wait_while_pending(
        lambda: api.get(f"/api/imports/{job_id}/").json(),
        timeout=60,
        what="the worker to run the import",
    )
    assert polled["status"] == "refused"
    refused = polled["report"]["refused"]
    assert refused["problems"] == [
        {"where": "3 行目", "reason": "時間帯が AM でも PM でもありません"}
    ]
    assert "the session is not AM or PM" not in str(refused)
    assert not AttendanceRecord.objects.exists()
