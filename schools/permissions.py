"""Role checks for API views, built on the tenancy scope.

Reading: the queryset is scoped to the schools where the user holds a read role, so another
school's object is a 404. Writing: the user must hold a write role at the object's school
(403 for a colleague who may read but not write, e.g. a teacher editing a student).
"""

from __future__ import annotations

from functools import reduce
from typing import TYPE_CHECKING, Any

from django.db.models import Model, QuerySet
from rest_framework import permissions
from rest_framework.exceptions import NotAuthenticated
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from core.audit import audit_reads, audit_record
from core.models import User

from . import tenancy
from .models import School

if TYPE_CHECKING:
    from rest_framework.mixins import ListModelMixin, RetrieveModelMixin

    # What the mixins below are mixed into, for the type checker: a generic viewset, one
    # that lists and retrieves.
    _ViewSetBase = GenericAPIView[Any]

    class _ReadViewSetBase(ListModelMixin, RetrieveModelMixin, GenericAPIView[Any]): ...
else:
    _ViewSetBase = _ReadViewSetBase = object


def signed_in_user(request: Request) -> User:
    """The signed-in user behind `request`, the actor a service is called with. Every
    viewset requires a signed-in user (IsAuthenticated), so an anonymous one never gets this
    far; should one, the answer is the API's 401/403, not a write without an actor."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated
    return user


def school_id_of(obj: Model) -> int:
    """Follow the model's SCHOOL_PATH to the id of the school that owns `obj`."""
    if isinstance(obj, School):
        return obj.pk
    path: str = getattr(type(obj), "SCHOOL_PATH")  # noqa: B009 - not every model has one
    *hops, last = path.split("__")
    owner = reduce(getattr, hops, obj)
    school_id: int = getattr(owner, f"{last}_id")
    return school_id


class SchoolRolePermission(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return bool(tenancy.school_ids(request.user, view.read_roles))
        return bool(tenancy.school_ids(request.user, view.write_roles))

    def has_object_permission(self, request, view, obj) -> bool:
        roles = view.read_roles if request.method in permissions.SAFE_METHODS else view.write_roles
        return tenancy.has_role(request.user, school_id_of(obj), roles)


class AuditedReadsMixin(_ReadViewSetBase):
    """Every read through the API is in the audit trail: a list writes one row per object on
    the page (`<audit_name>.list`), a retrieve one row (`<audit_name>.read`), each with the
    school and the student's code."""

    audit_name = ""

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self._audit_page = page
        return page

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        page = getattr(self, "_audit_page", None)
        if response.status_code == 200 and page:
            audit_reads(
                actor=request.user,
                action=f"{self.audit_name}.list",
                objects=page,
                school_of=school_id_of,
            )
        return response

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        audit_record(
            actor=request.user,
            action=f"{self.audit_name}.read",
            obj=obj,
            school_id=school_id_of(obj),
        )
        return Response(self.get_serializer(obj).data)


class ScopedViewSetMixin(_ViewSetBase):
    """Every viewset of the service starts from this: scoped reads, role-checked writes."""

    # Every viewset names its rows (before scoping) here.
    base_queryset: QuerySet[Any]
    read_roles: frozenset[str] = tenancy.ALL_ROLES
    write_roles: frozenset[str] = frozenset()
    permission_classes = [permissions.IsAuthenticated, SchoolRolePermission]

    def get_queryset(self) -> QuerySet[Any]:
        return tenancy.scope(self.base_queryset.all(), self.request.user, roles=self.read_roles)
