"""Writes to register marks: upserts from the API and importers, and the web register."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import AttendanceRecord, RecordSource, Student
from .evaluation_requests import evaluation_request
from .validation import validate_not_future

if TYPE_CHECKING:
    from core.models import User


@dataclass(frozen=True)
class AttendanceInput:
    student: Student
    date: dt.date
    session: str
    status: str
    original_code: str = ""


@dataclass(frozen=True)
class UpsertResult:
    created: int
    updated: int
    unchanged: int


def attendance_upsert(
    *,
    items: Sequence[AttendanceInput],
    recorded_by: User | None = None,
    source: str = RecordSource.API,
) -> UpsertResult:
    """Insert or update register marks, all or nothing, one per student, date and session.

    A mark that is already recorded with the same status and code is left untouched, so
    sending the same batch again changes nothing. The counts say what happened.
    """
    for item in items:
        validate_not_future(item.date, item.student.school)
    keys = {(i.student.pk, i.date, i.session) for i in items}
    if len(keys) != len(items):
        raise ValidationError(_("The batch names the same student, date and session twice."))
    try:
        return _attendance_write(items, recorded_by, source)
    except IntegrityError:
        # The same marks arrived at once in another request (a retry) and it inserted some of
        # them first; ours rolled back whole. Once more: those marks now exist and are updated
        # or left unchanged.
        return _attendance_write(items, recorded_by, source)


def _attendance_write(
    items: Sequence[AttendanceInput], recorded_by: User | None, source: str
) -> UpsertResult:
    student_ids = {i.student.pk for i in items}
    dates = {i.date for i in items}
    current = {
        (r.student_id, r.date, r.session): r
        for r in AttendanceRecord.objects.filter(student_id__in=student_ids, date__in=dates)
    }
    to_create: list[AttendanceRecord] = []
    to_update: list[AttendanceRecord] = []
    now = timezone.now()
    for item in items:
        record = current.get((item.student.pk, item.date, item.session))
        if record is None:
            to_create.append(
                AttendanceRecord(
                    student=item.student,
                    date=item.date,
                    session=item.session,
                    status=item.status,
                    original_code=item.original_code,
                    source=source,
                    recorded_by=recorded_by,
                )
            )
        elif (record.status, record.original_code) != (item.status, item.original_code):
            record.status = item.status
            record.original_code = item.original_code
            record.source = source
            record.recorded_by = recorded_by
            record.updated_at = now
            to_update.append(record)
    with transaction.atomic():
        AttendanceRecord.objects.bulk_create(to_create, batch_size=1000)
        AttendanceRecord.objects.bulk_update(
            to_update,
            ["status", "original_code", "source", "recorded_by", "updated_at"],
            batch_size=1000,
        )
        if to_create or to_update:
            evaluation_request(school_ids={i.student.school_id for i in items})
    return UpsertResult(
        created=len(to_create),
        updated=len(to_update),
        unchanged=len(items) - len(to_create) - len(to_update),
    )


def register_save(
    *,
    marks: Sequence[AttendanceInput],
    recorded_by: User,
) -> UpsertResult:
    """Save a register taken on the web page: everyone is present unless marked otherwise.

    Only the exceptions are stored (a school day without a record counts as present), so a
    "present" mark is written only where a record already exists and must be set back to
    present. All or nothing, through attendance_upsert.
    """
    if not marks:
        return UpsertResult(0, 0, 0)
    existing = set(
        AttendanceRecord.objects.filter(
            student_id__in={m.student.pk for m in marks},
            date__in={m.date for m in marks},
        ).values_list("student_id", "date", "session")
    )
    items = [
        m for m in marks if m.status != "present" or (m.student.pk, m.date, m.session) in existing
    ]
    result = attendance_upsert(items=items, recorded_by=recorded_by, source=RecordSource.REGISTER)
    return UpsertResult(result.created, result.updated, result.unchanged + len(marks) - len(items))
