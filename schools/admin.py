from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.http import Http404
from django.utils.translation import gettext

from . import tenancy
from .models import (
    AttendanceRecord,
    ClosureDay,
    EvaluationRequest,
    ImportJob,
    Invitation,
    Membership,
    Observation,
    ObservationSign,
    School,
    Student,
    Term,
)


class SchoolScopedAdmin(admin.ModelAdmin):
    """Admin pages scoped by the same mechanism as the API (tenancy.scope).

    A superuser sees everything (operations); any other staff user sees only the schools where
    they are a school admin, and another school's object answers 404 (not a redirect that
    would confirm it exists).
    """

    admin_roles = tenancy.ADMIN_ROLES

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return tenancy.scope(qs, request.user, roles=self.admin_roles)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(gettext("No such object."))
        return obj

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            model = db_field.remote_field.model
            if model is get_user_model():
                kwargs["queryset"] = model.objects.filter(
                    memberships__school_id__in=tenancy.school_ids(request.user, self.admin_roles)
                ).distinct()
            elif model is School or hasattr(model, "SCHOOL_PATH"):
                kwargs["queryset"] = tenancy.scope(
                    model.objects.all(), request.user, roles=self.admin_roles
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


if TYPE_CHECKING:
    # What the mixin below is mixed into, for the type checker: a model admin.
    _AdminBase = admin.ModelAdmin[Any]
else:
    _AdminBase = object


class AuditedChangePageMixin(_AdminBase):
    """Opening an object's page in the Django admin is a read of what it holds (a case, an
    observation's note): it is in the audit trail as `<model>.admin_read`."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        from core.audit import audit_record

        from .permissions import school_id_of

        obj = self.get_object(request, unquote(object_id))
        # None: no such object (or not this admin's to see); Django's page says so, and
        # nothing was read.
        if obj is not None:
            audit_record(
                actor=request.user,
                action=f"{obj._meta.model_name}.admin_read",
                obj=obj,
                school_id=school_id_of(obj),
            )
        return super().change_view(request, object_id, form_url, extra_context)


class MembershipInline(admin.TabularInline):
    """Staff of a school, for superusers setting a school up. A school admin manages staff on
    the Staff page, where only their own school's people are offered: a raw user id here
    would show the e-mail of anyone the id names."""

    model = Membership
    extra = 0
    raw_id_fields = ["user"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class TermInline(admin.TabularInline):
    model = Term
    extra = 0


class ClosureInline(admin.TabularInline):
    model = ClosureDay
    extra = 0


@admin.register(School)
class SchoolAdmin(SchoolScopedAdmin):
    list_display = ["code", "name", "time_zone", "designated_counsellor", "deputy"]
    search_fields = ["code", "name"]
    inlines = [MembershipInline, TermInline, ClosureInline]
    # Turned on from the school's sign-in safeguards page, which also signs out those who
    # must now enrol (schools.access.school_second_factor_set).
    readonly_fields = ["second_factor_required"]

    # Opening or closing a school is operations' work. A school admin who added one would not
    # be a member of it, so it would vanish from their list; deleting one removes its calendar
    # and staff roles.
    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Membership)
class MembershipAdmin(SchoolScopedAdmin):
    list_display = ["user", "school", "role"]
    list_filter = ["role"]
    search_fields = ["user__email", "school__code"]

    # A school admin invites colleagues from the Staff page: an account joins a school only
    # when its owner accepts. Operations (superusers) set schools up here.
    def has_add_permission(self, request):
        return request.user.is_superuser

    def delete_model(self, request, obj):
        from django.contrib import messages
        from django.core.exceptions import ValidationError

        from .services import membership_remove

        try:
            membership_remove(membership=obj, by=request.user)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)

    def delete_queryset(self, request, queryset):
        for membership in queryset:
            self.delete_model(request, membership)


@admin.register(Term)
class TermAdmin(SchoolScopedAdmin):
    list_display = ["school", "name", "starts_on", "ends_on"]


@admin.register(ClosureDay)
class ClosureDayAdmin(SchoolScopedAdmin):
    list_display = ["school", "date", "reason"]


@admin.register(Student)
class StudentAdmin(SchoolScopedAdmin):
    list_display = ["code", "school", "year_group", "assigned_counsellor", "is_active"]
    list_filter = ["is_active", "year_group"]
    search_fields = ["code"]
    readonly_fields = ["pseudonym_key_version", "created_at"]


@admin.register(AttendanceRecord)
class AttendanceRecordAdmin(SchoolScopedAdmin):
    list_display = ["student", "date", "session", "status", "original_code", "source"]
    list_filter = ["status", "session", "source"]
    date_hierarchy = "date"
    raw_id_fields = ["student"]
    search_fields = ["student__code"]


class ObservationSignInline(admin.TabularInline):
    model = ObservationSign
    extra = 0
    # An observation is of at least one sign, here as in the API and the pages.
    min_num = 1

    def get_formset(self, request, obj=None, **kwargs):
        # The admin passes min_num to the formset but never validate_min, without which the
        # minimum only shapes the empty form and is not enforced.
        return super().get_formset(request, obj, validate_min=True, **kwargs)


@admin.register(Observation)
class ObservationAdmin(AuditedChangePageMixin, SchoolScopedAdmin):
    list_display = ["student", "observed_on", "recorded_by", "created_at", "withdrawn_at"]
    date_hierarchy = "observed_on"
    raw_id_fields = ["student"]
    search_fields = ["student__code"]
    readonly_fields = ["client_id", "created_at", "updated_at"]
    inlines = [ObservationSignInline]


@admin.register(ImportJob)
class ImportJobAdmin(SchoolScopedAdmin):
    """Imports are made by upload or command; here they are read (the report says why)."""

    list_display = ["id", "school", "format", "status", "uploaded_by", "created_at", "finished_at"]
    list_filter = ["status", "format"]
    readonly_fields = [f.name for f in ImportJob._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(SchoolScopedAdmin):
    """Invitations, to read: they are made and withdrawn on the Staff page (the link's token
    is never stored, only its digest, which is not shown)."""

    list_display = ["email", "school", "role", "created_at", "expires_at", "accepted_at"]
    list_filter = ["role"]
    search_fields = ["email"]
    exclude = ["digest"]
    readonly_fields = [
        "school",
        "email",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "withdrawn_at",
    ]


@admin.register(EvaluationRequest)
class EvaluationRequestAdmin(SchoolScopedAdmin):
    """A school's pending near-real-time evaluation: written by saves, taken by a worker;
    read here (a request stuck with an old claim is taken again by the next scan)."""

    list_display = ["school", "due_at", "requested_at", "claimed_at", "again"]
    readonly_fields = [f.name for f in EvaluationRequest._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
