"""Celery tasks of the schools app. Thin: load ids, call a service."""

from __future__ import annotations

from celery import shared_task

from .importers import jobs


@shared_task(name="schools.tasks.import_job_run")
def import_job_run(job_id: int) -> str | None:
    """Run one uploaded import (see importers.jobs.import_job_run)."""
    job = jobs.import_job_run(job_id=job_id)
    return job.status if job is not None else None


@shared_task(name="schools.tasks.queue_waiting_imports")
def queue_waiting_imports() -> int:
    """Queue the uploaded imports still waiting (beat, every five minutes)."""
    return jobs.import_jobs_queue_waiting()
