"""Near-real-time evaluation: the evaluation requests that saves leave (schools'
EvaluationRequest rows, written in the save's own transaction) are found by beat and a worker
evaluates each school, incrementally, a few minutes after its first save.

Nothing lost, nothing done twice:
- a save never talks to the broker: its request is a row committed with the records, so a
  broker that is down at save time delays nothing but the scan that finds the row later;
- a worker *claims* a request with a compare-and-swap UPDATE before evaluating, so two
  workers never evaluate one request; a claim older than the task's time limit belongs to a
  worker that died, and is taken again;
- a save while the school is being evaluated sets `again`, so the request stays for one
  more run after this one; otherwise the request is deleted when its run has committed;
- an evaluation is idempotent and notifications are unique per change, so a repeated run
  (after a crash between the evaluation and the delete) tells nobody twice.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from schools.models import EvaluationRequest


def _stale() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


def requests_due() -> list[int]:
    """The schools whose request is due and not being worked on by a live worker."""
    return list(
        EvaluationRequest.objects.filter(due_at__lte=timezone.now())
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=_stale()))
        .order_by("due_at")
        .values_list("school_id", flat=True)
    )


def request_claim(school_id: int) -> dt.datetime | None:
    """Take the school's due request for this worker; the claim's time, or None when there
    is nothing to take (done already, not due, or another worker has it)."""
    now = timezone.now()
    taken = (
        EvaluationRequest.objects.filter(school_id=school_id, due_at__lte=now)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=_stale()))
        .update(claimed_at=now, again=False)
    )
    return now if taken else None


def request_done(school_id: int, claimed_at: dt.datetime) -> None:
    """The claimed run committed: the request goes, unless a save came meanwhile; then it
    waits for one more run after the delay."""
    mine = EvaluationRequest.objects.filter(school_id=school_id, claimed_at=claimed_at)
    if mine.filter(again=False).delete()[0]:
        return
    mine.update(
        claimed_at=None,
        again=False,
        due_at=timezone.now() + dt.timedelta(seconds=settings.ALERTS_EVALUATION_DELAY_SECONDS),
    )


def request_release(school_id: int, claimed_at: dt.datetime) -> None:
    """The run could not happen now (the school's evaluation is running elsewhere): let the
    next scan take the request again."""
    EvaluationRequest.objects.filter(school_id=school_id, claimed_at=claimed_at).update(
        claimed_at=None
    )
