from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from rest_framework.authtoken.admin import TokenAdmin as BaseTokenAdmin
from rest_framework.authtoken.models import TokenProxy

from .models import AuditEvent, User

if TYPE_CHECKING:
    # What the mixin below is mixed into, for the type checker: a model admin.
    _AdminBase = admin.ModelAdmin[Any]
else:
    _AdminBase = object


class SuperuserOnlyAdmin(_AdminBase):
    """An admin page for operations only. Accounts, API tokens, permission groups and the
    audit trail belong to no one school, so no school admin may see them, whatever model
    permissions their group was given: a token key is another school's API access, and a
    group that may edit groups may grant itself anything."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.none()


admin.site.unregister(TokenProxy)
admin.site.unregister(Group)


@admin.register(TokenProxy)
class TokenAdmin(SuperuserOnlyAdmin, BaseTokenAdmin):
    pass


@admin.register(Group)
class GroupAdmin(SuperuserOnlyAdmin, BaseGroupAdmin):
    pass


@admin.register(User)
class UserAdmin(SuperuserOnlyAdmin, BaseUserAdmin):
    """Staff accounts. Only superusers manage accounts here; school admins manage roles."""

    ordering = ["email"]
    list_display = ["email", "display_name", "is_active", "is_staff"]
    search_fields = ["email", "display_name"]
    fieldsets = (
        (None, {"fields": ("email", "password", "display_name")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(AuditEvent)
class AuditEventAdmin(SuperuserOnlyAdmin, admin.ModelAdmin):
    """The audit trail: read-only, and only for superusers (it spans schools)."""

    list_display = ["at", "actor", "action", "object_type", "object_id", "school_id"]
    list_filter = ["action", "object_type"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
