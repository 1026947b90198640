"""The audit trail: the one place that builds AuditEvent rows. One row per change, and one row
per student for every read of case data, observation notes and rule-preview results.

Rows are append-only in the database (see AuditEvent), so who acted is written by value: the
account's id and its e-mail address at the time.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection
from django.utils import timezone

from .models import AuditEvent, User
from .rows import column, prepared_cursor, table


def _actor(actor: User | None) -> tuple[User | None, str]:
    if actor is None or not actor.is_authenticated:
        return None, ""
    return actor, actor.email


def _code_of(obj: Any) -> str:
    """The student code of `obj` when it is a student or belongs to one."""
    if obj._meta.label_lower == "schools.student":
        return str(obj.code)
    if getattr(obj, "student_id", None) is not None:
        return str(obj.student.code)
    return ""


def audit_entry(
    *,
    actor: User | None,
    action: str,
    obj: Any,
    school_id: int | None,
    detail: dict[str, Any] | None = None,
    student_code: str | None = None,
) -> AuditEvent:
    """One audit entry for `actor` doing `action` to `obj` (a model instance), not saved yet:
    for audit_record_many. `student_code` defaults to the code of the student `obj` is or
    belongs to."""
    who, label = _actor(actor)
    return AuditEvent(
        actor=who,
        actor_label=label,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        school_id=school_id,
        student_code=_code_of(obj) if student_code is None else student_code,
        detail=detail or {},
    )


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: Any,
    school_id: int | None,
    detail: dict[str, Any] | None = None,
    student_code: str | None = None,
) -> AuditEvent:
    """Append one audit entry for `actor` doing `action` to `obj` (a model instance)."""
    entry = audit_entry(
        actor=actor,
        action=action,
        obj=obj,
        school_id=school_id,
        detail=detail,
        student_code=student_code,
    )
    entry.save(force_insert=True)
    return entry


def audit_record_many(entries: Iterable[AuditEvent]) -> list[AuditEvent]:
    """Append many entries built by audit_entry() in one insert (evaluation opening hundreds
    of cases at once)."""
    return AuditEvent.objects.bulk_create(entries)


def audit_reads(
    *,
    actor: User | None,
    action: str,
    objects: Iterable[Any],
    school_of: Callable[[Any], int | None],
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one entry per object read (a list, a page of results; objects of one model):
    `school_of` gives each object's school id. One insert for them all; returns how many."""
    objects = list(objects)
    if not objects:
        return 0
    return _append_reads(
        actor=actor,
        action=action,
        reads=[(obj, school_of(obj), _code_of(obj)) for obj in objects],
        detail=detail,
    )


def audit_record_codes(
    *,
    actor: User | None,
    action: str,
    obj: Any,
    school_id: int | None,
    codes: Iterable[str],
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one entry per student code shown by one read of `obj` (e.g. a rule preview's
    results), or a single entry when it showed none."""
    wanted = list(dict.fromkeys(codes)) or [""]
    return _append_reads(
        actor=actor,
        action=action,
        reads=[(obj, school_id, code) for code in wanted],
        detail=detail,
    )


def _append_reads(
    *,
    actor: User | None,
    action: str,
    reads: list[tuple[Any, int | None, str]],
    detail: dict[str, Any] | None,
) -> int:
    """Append one entry per (object, school id, student code) of one read by `actor`, the
    objects of one model. On PostgreSQL one INSERT of the three varying columns as arrays, all
    at one time: the entries of a case list are written on every view of it, and building the
    models and compiling their bulk insert was an eighth of the list's CPU. Elsewhere (the
    embedded SQLite of `make run`) audit_entry's models in one bulk insert."""
    if connection.vendor != "postgresql":
        audit_record_many(
            audit_entry(
                actor=actor,
                action=action,
                obj=obj,
                school_id=school_id,
                detail=detail,
                student_code=code,
            )
            for obj, school_id, code in reads
        )
        return len(reads)
    who, label = _actor(actor)
    objects, school_ids, codes = (list(values) for values in zip(*reads, strict=True))
    with prepared_cursor() as cursor:
        cursor.execute(
            _insert_reads(),
            [
                timezone.now(),
                who.pk if who else None,
                label,
                action,
                objects[0]._meta.label_lower,
                json.dumps(detail or {}),
                [obj.pk for obj in objects],
                school_ids,
                codes,
            ],
        )
    return len(reads)


@functools.cache
def _insert_reads() -> str:
    """The INSERT of _append_reads (made once: the model does not change while the process
    runs). The names formatted in are the model's own table and columns."""
    names = ("at", "actor", "actor_label", "action", "object_type", "detail")
    names_of_each = ("object_id", "school_id", "student_code")
    listed = ", ".join(column(AuditEvent, n) for n in names + names_of_each)
    return (
        f"INSERT INTO {table(AuditEvent)} ({listed}) "  # noqa: S608
        "SELECT %s::timestamptz, %s::bigint, %s::text, %s::text, %s::text, %s::jsonb, o, s, c "
        "FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) AS t(o, s, c)"
    )
