"""Retention: raw records are not kept for ever.

Observations and attendance marks older than settings.RETENTION_DAYS are deleted, except the
ones that are evidence on an open case: a counsellor working a case must still see why it was
opened. The purge lives in alerts because only alerts knows what is evidence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from schools.models import AttendanceRecord, Observation

from .models import OPEN_STATUSES, CaseEvidence


@dataclass(frozen=True)
class PurgeResult:
    cutoff: dt.date
    observations: int
    attendance: int


def records_purge_expired(*, today: dt.date | None = None, days: int | None = None) -> PurgeResult:
    """Delete records dated before today - `days` (default RETENTION_DAYS) that are not
    evidence on an open case. Two set-based deletes in one transaction; safe to run again."""
    today = today or timezone.localdate()
    cutoff = today - dt.timedelta(days=days if days is not None else settings.RETENTION_DAYS)
    open_evidence = CaseEvidence.objects.filter(case__status__in=OPEN_STATUSES)
    with transaction.atomic():
        _, observations = (
            Observation.objects.filter(observed_on__lt=cutoff)
            .exclude(
                pk__in=open_evidence.filter(observation__isnull=False).values("observation_id")
            )
            .delete()
        )
        _, attendance = (
            AttendanceRecord.objects.filter(date__lt=cutoff)
            .exclude(pk__in=open_evidence.filter(attendance__isnull=False).values("attendance_id"))
            .delete()
        )
    return PurgeResult(
        cutoff=cutoff,
        observations=observations.get(Observation._meta.label, 0),
        attendance=attendance.get(AttendanceRecord._meta.label, 0),
    )
