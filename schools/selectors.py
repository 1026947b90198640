"""Reads of the recorded data that carry a rule about who sees what."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from . import tenancy
from .models import Observation, Role


def observations_visible_to(user) -> QuerySet[Observation]:
    """Counsellors and school admins see their school's observations; teachers their own."""
    casework = tenancy.school_ids(user, tenancy.CASEWORK_ROLES)
    teaching = tenancy.school_ids(user, {Role.TEACHER})
    if not casework and not teaching:
        return Observation.objects.none()
    return (
        Observation.objects.filter(
            Q(student__school_id__in=casework)
            | Q(student__school_id__in=teaching, recorded_by=user)
        )
        .select_related("student__school", "recorded_by")
        .prefetch_related("signs")
    )
