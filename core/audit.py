from __future__ import annotations

from typing import Any

from .models import AuditEvent, User


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: Any,
    school_id: int | None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit entry for `actor` doing `action` to `obj` (a model instance)."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        school_id=school_id,
        detail=detail or {},
    )
