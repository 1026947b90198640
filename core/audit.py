"""The audit trail: the one place that builds AuditEvent rows. One row per change, and one row
per student for every read of case data, observation notes and rule-preview results.

Rows are append-only in the database (see AuditEvent), so who acted is written by value: the
account's id and its e-mail address at the time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .models import AuditEvent, User


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
    """Append one entry per object read (a list, a page of results): `school_of` gives each
    object's school id. One insert for them all; returns how many."""
    rows = audit_record_many(
        audit_entry(actor=actor, action=action, obj=obj, school_id=school_of(obj), detail=detail)
        for obj in objects
    )
    return len(rows)


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
    rows = audit_record_many(
        audit_entry(
            actor=actor,
            action=action,
            obj=obj,
            school_id=school_id,
            detail=detail,
            student_code=code,
        )
        for code in wanted
    )
    return len(rows)
