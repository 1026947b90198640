"""Writes to the in-app notices."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from ..models import Notice


def notices_mark_read(*, notices: QuerySet[Notice]) -> int:
    """Mark the unread notices of `notices` (a queryset the caller has scoped to the user)
    read, in one update; a notice already read keeps the time it was first read. Returns how
    many were marked."""
    return notices.filter(read_at__isnull=True).update(read_at=timezone.now())
