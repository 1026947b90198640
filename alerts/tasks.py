"""Celery tasks: thin wrappers that load ids and call alerts.services.

An overlap lock (an atomic cache.add with an expiry, keyed by task and school) keeps a second
copy of one school's evaluation from even starting while the first runs; the row lock inside
evaluation_run is what makes two runs safe if the cache is unavailable or the lock expired.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from schools.models import School

from . import requests
from .notifications import cases_escalate_due, notifications_drain, reviews_remind_due
from .retention import records_purge_expired
from .services import evaluation_run

log = logging.getLogger(__name__)


def _lock_key(school_id: int) -> str:
    return f"alerts:evaluate_school:{school_id}"


@shared_task(name="alerts.tasks.evaluate_school", ignore_result=True)
def evaluate_school(school_id: int, on_date: str | None = None, full: bool = False) -> dict | None:
    """Evaluate one school's rules (today at the school unless `on_date`, ISO, is given):
    incremental unless `full`."""
    key = _lock_key(school_id)
    token = uuid.uuid4().hex
    if not cache.add(key, token, timeout=settings.ALERTS_EVALUATION_LOCK_SECONDS):
        log.info("evaluation of school %s already running; skipped", school_id)
        return None
    try:
        school = School.objects.filter(pk=school_id).first()
        if school is None:
            return None
        day = dt.date.fromisoformat(on_date) if on_date else None
        summary = evaluation_run(school=school, on_date=day, full=full)
        log.info(
            "evaluated school %s: opened %d, reopened %d, updated %d, unchanged %d",
            school.code,
            len(summary.opened),
            len(summary.reopened),
            len(summary.updated),
            len(summary.unchanged),
        )
        return summary.as_dict()
    finally:
        # Release only our own lock: an expired lock may have been taken by another run.
        if cache.get(key) == token:
            cache.delete(key)


@shared_task(name="alerts.tasks.evaluate_all", ignore_result=True)
def evaluate_all(full: bool = False) -> int:
    """Fan out: one evaluate_school task per school, so schools run in parallel on as many
    workers as there are. Beat asks for `full` once a week."""
    ids = list(School.objects.order_by().values_list("pk", flat=True))
    for school_id in ids:
        if full:
            evaluate_school.delay(school_id, full=True)
        else:
            evaluate_school.delay(school_id)
    return len(ids)


# --- Near-real-time evaluation (alerts/requests.py) ---------------------------------------


@shared_task(name="alerts.tasks.evaluate_requested", ignore_result=True)
def evaluate_requested() -> int:
    """Beat, every ALERTS_REQUEST_SCAN_SECONDS: one evaluate_requested_school task per school
    whose evaluation request is due."""
    ids = requests.requests_due()
    for school_id in ids:
        evaluate_requested_school.delay(school_id)
    return len(ids)


@shared_task(name="alerts.tasks.evaluate_requested_school", ignore_result=True)
def evaluate_requested_school(school_id: int) -> dict | None:
    """Claim the school's due request, evaluate the school (incrementally), then drop the
    request, or keep it for one more run when a save came meanwhile."""
    claimed_at = requests.request_claim(school_id)
    if claimed_at is None:
        return None
    summary = evaluate_school(school_id)
    if summary is None and School.objects.filter(pk=school_id).exists():
        # The school's evaluation is running elsewhere (the overlap lock): try again later.
        requests.request_release(school_id, claimed_at)
        return None
    requests.request_done(school_id, claimed_at)
    return summary


# --- Notification delivery and escalation --------------------------------------------------


@shared_task(name="alerts.tasks.deliver_notifications", ignore_result=True)
def deliver_notifications() -> int:
    """Deliver the notifications that are due (every minute from beat, and nudged after each
    case change). Safe to run in parallel: each row is claimed by one sender."""
    return notifications_drain(batch_size=settings.NOTIFY_BATCH_SIZE)


@shared_task(name="alerts.tasks.escalate_cases", ignore_result=True)
def escalate_cases() -> int:
    """Escalate the cases nobody acknowledged in time (hourly from beat)."""
    return len(cases_escalate_due())


@shared_task(name="alerts.tasks.remind_reviews", ignore_result=True)
def remind_reviews() -> int:
    """Remind owners of the cases whose review date has come (hourly from beat)."""
    return len(reviews_remind_due())


# --- retention ----------------------------------------------------------------------------


@shared_task(name="alerts.tasks.purge_expired_records", ignore_result=True)
def purge_expired_records() -> dict:
    """Delete records past RETENTION_DAYS that are not evidence on an open case (nightly)."""
    result = records_purge_expired()
    log.info(
        "retention purge before %s: %d observations, %d attendance marks",
        result.cutoff,
        result.observations,
        result.attendance,
    )
    return {"observations": result.observations, "attendance": result.attendance}


# --- the rule lab ---------------------------------------------------------------------------


@shared_task(name="alerts.tasks.run_backtest", ignore_result=True)
def run_backtest(run_id: int) -> str | None:
    """Compute one queued backtest (alerts.backtest_runs.backtest_run: claimed once)."""
    from .backtest_runs import backtest_run
    from .models import BacktestRun

    run = BacktestRun.objects.filter(pk=run_id).first()
    if run is None:
        return None
    return backtest_run(run=run).status
