"""Uploaded imports: store the file, queue it, run it once, keep the report."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.broker import publish_quickly
from core.i18n import language_of
from core.models import User

from ..models import ImportJob, School
from .report import ImportRefused
from .run import import_file, sniff_format, too_large

logger = logging.getLogger(__name__)

IMPORT_TASK = "schools.tasks.import_job_run"


def _path(job: ImportJob) -> Path:
    return Path(settings.IMPORT_DIR) / job.stored_name


def import_job_create(
    *,
    school: School,
    uploaded_by: User,
    upload,  # an UploadedFile, read and sniffed like a binary file
    fmt: str = "",
    create_students: bool = False,
    dry_run: bool = False,
) -> ImportJob:
    """Keep an uploaded file and queue its import once this transaction commits.

    A file over IMPORT_MAX_BYTES raises ImportRefused and nothing is kept. The upload's own name
    is not stored (it may name a child); the file gets a random name under IMPORT_DIR.
    """
    if upload.size > settings.IMPORT_MAX_BYTES:
        raise too_large(upload.size)
    # The format is known from the first bytes: a job always says which it is (a format the
    # file does not have is refused by the worker, with the reason).
    fmt = fmt or sniff_format(upload)
    directory = Path(settings.IMPORT_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    stored_name = f"{uuid.uuid4().hex}.upload"
    path = directory / stored_name
    try:
        with open(path, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        job = ImportJob.objects.create(
            school=school,
            uploaded_by=uploaded_by,
            format=fmt,
            create_students=create_students,
            dry_run=dry_run,
            stored_name=stored_name,
            size_bytes=upload.size,
        )
    except BaseException:
        path.unlink(missing_ok=True)  # no orphan file holding raw references
        raise
    # One bounded attempt: with the broker down the upload still answers at once, and the
    # periodic scan (import_jobs_queue_waiting) queues the job when the broker is back.
    transaction.on_commit(lambda: publish_quickly(IMPORT_TASK, args=[job.pk]), robust=True)
    return job


def import_jobs_queue_waiting(*, older_than_seconds: int = 120) -> int:
    """Queue again every job still waiting after `older_than_seconds` (its first queueing
    failed, or its task was lost), and every job left running by a worker that died. Running
    one job twice is safe: import_job_run claims it with a conditional update. Returns how
    many were queued."""
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    waiting = ImportJob.objects.filter(
        Q(
            status=ImportJob.Status.QUEUED,
            created_at__lt=now - dt.timedelta(seconds=older_than_seconds),
        )
        | Q(status=ImportJob.Status.RUNNING, started_at__lt=stale)
    ).values_list("pk", flat=True)
    return sum(publish_quickly(IMPORT_TASK, args=[pk]) for pk in waiting)


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Run a queued job exactly once; its file is deleted whatever the outcome.

    The job is claimed with a conditional update, so a redelivered task (acks_late) or two
    workers cannot run it twice at once: the loser returns None. The outcome lands on the job: the
    report on success, the problems when refused, a generic message when it failed.

    The worker runs in no one's language: the messages are written in the uploader's (their
    own choice, else their school's; core.i18n), as the page or the API would have shown them.
    """
    now = timezone.now()
    # A job left "running" longer than a task may run belongs to a worker that died (the task
    # is redelivered: acks_late). Running it again is safe: an import is all or nothing.
    stale = now - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    claimable = Q(status=ImportJob.Status.QUEUED) | Q(
        status=ImportJob.Status.RUNNING, started_at__lt=stale
    )
    claimed = ImportJob.objects.filter(claimable, pk=job_id).update(
        status=ImportJob.Status.RUNNING, started_at=now
    )
    if not claimed:
        return None
    job = ImportJob.objects.select_related("school", "uploaded_by").get(pk=job_id)
    with language_of(job.uploaded_by):
        _run(job)
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "report", "format", "finished_at"])
    return job


def _run(job: ImportJob) -> None:
    """Import the job's file and put the outcome on the job (not saved); delete the file."""
    path = _path(job)
    try:
        report = import_file(
            path,
            fmt=job.format or None,
            school=job.school,
            create_students=job.create_students,
            dry_run=job.dry_run,
        )
        job.status, job.report = ImportJob.Status.SUCCEEDED, report.as_dict()
        job.format = report.format
    except ImportRefused as e:
        job.status, job.report = ImportJob.Status.REFUSED, {"refused": e.as_dict()}
    except Exception:
        # The traceback goes to the worker log (it holds no reference: messages never do).
        logger.exception("Import job %s failed", job.pk)
        job.status = ImportJob.Status.FAILED
        job.report = {"error": _("The import failed unexpectedly; nothing was written.")}
    finally:
        path.unlink(missing_ok=True)
