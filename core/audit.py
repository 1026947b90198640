"""Writing the audit trail: one row per change, and one row per student for every read of
case data, observation notes and rule-preview results."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .models import AuditEvent, User


def _actor(actor: User | None) -> tuple[User | None, str]:
    if actor is None or not actor.is_authenticated:
        return None, ""
    return actor, actor.email


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: Any,
    school_id: int | None,
    detail: dict[str, Any] | None = None,
    student_code: str = "",
) -> AuditEvent:
    """Append one audit entry for `actor` doing `action` to `obj` (a model instance)."""
    who, label = _actor(actor)
    return AuditEvent.objects.create(
        actor=who,
        actor_label=label,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        school_id=school_id,
        student_code=student_code or _code_of(obj),
        detail=detail or {},
    )


def audit_reads(
    *,
    actor: User | None,
    action: str,
    objects: Iterable[Any],
    school_of,
    code_of=None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one entry per object read (a list, a page of results, a preview): `school_of`
    and `code_of` give each object's school id and student code. One query for them all."""
    who, label = _actor(actor)
    code_of = code_of or _code_of
    rows = [
        AuditEvent(
            actor=who,
            actor_label=label,
            action=action,
            object_type=obj._meta.label_lower,
            object_id=obj.pk,
            school_id=school_of(obj),
            student_code=code_of(obj),
            detail=detail or {},
        )
        for obj in objects
    ]
    AuditEvent.objects.bulk_create(rows)
    return len(rows)


def _code_of(obj: Any) -> str:
    """The student code of `obj` when it is a student or belongs to one."""
    if getattr(obj, "student_id", None) is not None:
        return obj.student.code
    if obj._meta.label_lower == "schools.student":
        return obj.code
    return ""


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
    who, label = _actor(actor)
    codes = list(dict.fromkeys(codes)) or [""]
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=who,
            actor_label=label,
            action=action,
            object_type=obj._meta.label_lower,
            object_id=obj.pk,
            school_id=school_id,
            student_code=code,
            detail=detail or {},
        )
        for code in codes
    )
    return len(codes)
