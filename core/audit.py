"""The audit trail: the one place that builds AuditEvent rows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .models import AuditEvent, User


def audit_entry(
    *,
    actor: User | None,
    action: str,
    obj: Any,
    school_id: int | None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """One audit entry for `actor` doing `action` to `obj` (a model instance), not saved yet:
    for audit_record_many."""
    return AuditEvent(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        school_id=school_id,
        detail=detail or {},
    )


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: Any,
    school_id: int | None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit entry for `actor` doing `action` to `obj` (a model instance)."""
    entry = audit_entry(actor=actor, action=action, obj=obj, school_id=school_id, detail=detail)
    entry.save(force_insert=True)
    return entry


def audit_record_many(entries: Iterable[AuditEvent]) -> list[AuditEvent]:
    """Append many entries built by audit_entry() in one insert (evaluation opening hundreds
    of cases at once)."""
    return AuditEvent.objects.bulk_create(entries)
