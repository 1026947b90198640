"""The import API: admins and integrations upload, a task imports, the job can be polled."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from schools.importers import import_file
from schools.models import AttendanceRecord, ImportJob, Student
from schools.tasks import import_job_run
from tests.clock import fixed_dates

from .conftest import edfi, plain_school_events

pytestmark = fixed_dates

DAY = dt.date(2026, 3, 2)


def csv_upload(rows, name="marks.csv"):
    body = "student_ref,date,session,code\n" + "".join(f"{r}\n" for r in rows)
    return SimpleUploadedFile(name, body.encode(), content_type="text/csv")


def upload(client, file, **extra):
    return client.post("/api/imports/", {"file": file, **extra}, format="multipart")


def test_an_integration_uploads_and_polls_the_report(
    api, ivan, school_a, django_capture_on_commit_callbacks
):
    rows = [f"1,{DAY},AM,N", f"2,{DAY},PM,I"]
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = upload(api.as_(ivan), csv_upload(rows), create_students="true")
    assert response.status_code == 202, response.content
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert (job.status, job.school, job.uploaded_by) == ("queued", school_a, ivan)
    assert len(queued) == 1  # the task is queued once the upload commits
    stored = Path(settings.IMPORT_DIR) / job.stored_name
    assert stored.exists()

    assert import_job_run(job.pk) == "succeeded"  # what the worker runs
    assert import_job_run(job.pk) is None  # a redelivered task does nothing

    polled = api.get(f"/api/imports/{job.pk}/").json()
    assert polled["status"] == "succeeded"
    assert polled["format"] == "csv"
    assert polled["report"]["attendance_records"]["created"] == 2
    assert polled["report"]["students_created"] == 2
    assert AttendanceRecord.objects.count() == 2
    assert not stored.exists()  # the raw file is gone once imported


def test_a_refused_file_is_reported_with_its_line(api, adam, school_a):
    response = upload(api.as_(adam), csv_upload([f"1,{DAY},AM,N", f"2,{DAY},XX,N"]))
    job_id = response.json()["id"]
    assert import_job_run(job_id) == "refused"
    polled = api.get(f"/api/imports/{job_id}/").json()
    assert polled["report"]["refused"]["problems"] == [
        {"where": "line 3", "reason": "the session is not AM or PM"}
    ]
    assert not AttendanceRecord.objects.exists()


def test_a_file_over_the_limit_is_refused_at_upload(api, ivan, school_a, settings):
    settings.IMPORT_MAX_BYTES = 10
    response = upload(api.as_(ivan), csv_upload([f"1,{DAY},AM,N"]))
    assert response.status_code == 413
    assert "IMPORT_MAX_BYTES" in response.json()["detail"]
    assert not ImportJob.objects.exists()


def test_teachers_and_counsellors_may_not_import(api, alice, carol, school_a):
    for user in (alice, carol):
        assert upload(api.as_(user), csv_upload([f"1,{DAY},AM,N"])).status_code == 403
        assert api.as_(user).get("/api/imports/").status_code == 403


def test_another_schools_import_is_not_there(api, ivan, bella, school_a, school_b):
    job_id = upload(api.as_(ivan), csv_upload([f"1,{DAY},AM,N"])).json()["id"]
    assert api.as_(bella).get(f"/api/imports/{job_id}/").status_code == 404
    assert api.as_(bella).get("/api/imports/").json()["results"] == []
    refused = upload(api.as_(bella), csv_upload([f"1,{DAY},AM,N"]), school=school_a.code)
    assert refused.status_code == 400
    assert "school" in refused.json()


def test_a_job_left_running_by_a_dead_worker_is_run_again(api, ivan, school_a, settings):
    job_id = upload(api.as_(ivan), csv_upload([f"1,{DAY},AM,N"]), create_students="true").json()[
        "id"
    ]
    now = timezone.now()
    ImportJob.objects.filter(pk=job_id).update(status="running", started_at=now)
    assert import_job_run(job_id) is None  # a live run: not taken twice
    long_ago = now - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1)
    ImportJob.objects.filter(pk=job_id).update(started_at=long_ago)
    assert import_job_run(job_id) == "succeeded"
    assert AttendanceRecord.objects.count() == 1


def test_an_edfi_upload_writes_only_to_the_uploaders_school(api, ivan, school_a, school_b):
    # The sample holds three schools; north and south each claim one. North's integration
    # uploads it: only north's events are written, south's are skipped, never imported there.
    school_a.edfi_school_id, school_b.edfi_school_id = 255901001, 255901044
    for school in (school_a, school_b):
        school.save(update_fields=["edfi_school_id"])
    calendar = edfi("EducationOrgCalendar.xml")
    import_file(calendar, school=school_a)
    import_file(calendar, school=school_b)
    path = edfi("StudentSchoolAttendance.xml")
    file = SimpleUploadedFile("sis.xml", path.read_bytes(), content_type="application/xml")

    response = upload(api.as_(ivan), file, create_students="true")
    assert response.status_code == 202, response.content
    assert import_job_run(response.json()["id"]) == "succeeded"

    events = plain_school_events(path)
    north = [e for e in events if e["school"] == 255901001]
    report = api.get(f"/api/imports/{response.json()['id']}/").json()["report"]
    assert report["skipped"]["other_school"] == len(events) - len(north)
    assert Student.objects.filter(school=school_a).count() == len({e["student"] for e in north})
    assert not Student.objects.filter(school=school_b).exists()
    assert not AttendanceRecord.objects.filter(student__school=school_b).exists()
