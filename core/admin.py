from __future__ import annotations

from typing import TYPE_CHECKING, Any

from axes.admin import AccessAttemptAdmin as BaseAccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import credentials
from .models import ApiToken, AuditEvent, User

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


admin.site.unregister(Group)


@admin.register(ApiToken)
class ApiTokenAdmin(SuperuserOnlyAdmin, admin.ModelAdmin):
    """API tokens of every school: only their names, owners and expiries (a token itself is
    never stored). Making one shows it once, in the message after saving; deleting one
    revokes it."""

    list_display = ["name", "user", "created", "expiry", "created_by"]
    search_fields = ["name", "user__email"]
    raw_id_fields = ["user"]
    fields = ["user", "name", "days"]

    def has_change_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        from django import forms
        from django.conf import settings

        class AddForm(forms.ModelForm):
            days = forms.IntegerField(
                min_value=1, max_value=settings.API_TOKEN_MAX_DAYS, initial=settings.API_TOKEN_DAYS
            )

            class Meta:
                model = ApiToken
                fields = ["user", "name"]

        kwargs["form"] = AddForm
        kwargs["fields"] = ["user", "name", "days"]
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        token, secret = credentials.token_create(
            user=form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            days=form.cleaned_data["days"],
            by=request.user,
        )
        form.instance = token
        obj.pk = token.pk
        self.message_user(request, f"The token, shown this once: {secret}", messages.WARNING)

    def delete_model(self, request, obj):
        credentials.token_revoke(token=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for token in queryset:
            credentials.token_revoke(token=token, by=request.user)


for _device in (TOTPDevice, StaticDevice):
    _base = type(admin.site._registry[_device])
    admin.site.unregister(_device)
    # Second-factor devices of every school: a superuser removes a lost one here.
    admin.site.register(_device, type(_base.__name__, (SuperuserOnlyAdmin, _base), {}))


@admin.register(AccessAttempt)
class AccessAttemptAdmin(SuperuserOnlyAdmin, BaseAccessAttemptAdmin):
    """Failed sign-ins of every school, by account and address. Deleting a row unlocks that
    account at that address (a school admin does the same for their staff from the staff
    page)."""


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
