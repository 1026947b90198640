"""Admin pages for rules, cases and the outbox, scoped like the API (SchoolScopedAdmin)."""

from __future__ import annotations

from django.contrib import admin

from schools.admin import AuditedChangePageMixin, SchoolScopedAdmin

from .models import (
    BacktestRun,
    Case,
    CaseEvent,
    CaseEvidence,
    CaseRule,
    DeliveryAttempt,
    EvaluationState,
    Notice,
    Notification,
    Outcome,
    WarningRule,
)


@admin.register(WarningRule)
class WarningRuleAdmin(SchoolScopedAdmin):
    list_display = ["name", "school", "kind", "enabled", "severity", "version"]
    list_filter = ["kind", "enabled", "severity"]
    search_fields = ["name", "school__code"]
    # Edits through the admin bypass rule_update, so the version is shown but not typed in;
    # save_model raises it like the service does.
    # The description is generated from the settings (alerts.rule_text), never typed.
    readonly_fields = ["version", "key", "description", "created_at", "updated_at", "updated_by"]

    def save_model(self, request, obj, form, change):
        from .rule_text import rule_normalise
        from .services import rule_update

        if change:
            rule_update(rule=obj, by=request.user, fields=form.changed_data)
        else:
            obj.updated_by = request.user
            rule_normalise(obj)
            super().save_model(request, obj, form, change)


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    readonly_fields = ("at", "kind", "author", "action_type", "from_status", "to_status", "text")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


class CaseRuleInline(admin.TabularInline):
    model = CaseRule
    extra = 0
    can_delete = False
    readonly_fields = ["rule", "rule_name", "rule_version", "first_fired_on", "last_fired_on"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(AuditedChangePageMixin, SchoolScopedAdmin):
    list_display = ["student", "status", "stage", "severity", "persisted_since", "opened_at"]
    list_filter = ["status", "stage", "severity"]
    search_fields = ["student__code"]
    raw_id_fields = ["student"]
    inlines = [CaseRuleInline, CaseEventInline]
    # The case is worked through the services (timeline and audit); the admin only reads.
    readonly_fields = [f.name for f in Case._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(CaseEvidence)
class CaseEvidenceAdmin(SchoolScopedAdmin):
    list_display = ["case", "on_date", "observation", "attendance", "window_start", "window_end"]
    raw_id_fields = ["case", "observation", "attendance"]


@admin.register(Notification)
class NotificationAdmin(SchoolScopedAdmin):
    list_display = ["case", "recipient", "kind", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status", "kind"]
    raw_id_fields = ["case", "recipient"]


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(SchoolScopedAdmin):
    list_display = ["notification", "channel", "at", "ok", "error"]
    list_filter = ["ok", "channel"]


@admin.register(Notice)
class NoticeAdmin(SchoolScopedAdmin):
    list_display = ["user", "case", "text", "read_at", "created_at"]
    raw_id_fields = ["case", "user", "notification"]


# The outbox page (failed notifications, attempts, retry) replaces the plain one above.
from .notifications import admin as outbox_admin  # noqa: E402, F401


@admin.register(Outcome)
class OutcomeAdmin(SchoolScopedAdmin):
    """Outcomes are written by resolving a case or by an import (alerts.outcomes), which
    audit them: here they are read."""

    list_display = ["student", "kind", "on_date", "source", "created_at"]
    list_filter = ["kind", "source"]
    search_fields = ["student__code"]
    readonly_fields = [f.name for f in Outcome._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(BacktestRun)
class BacktestRunAdmin(SchoolScopedAdmin):
    """Kept backtests, read-only; deleting one only makes the next request compute it anew."""

    list_display = ["pk", "school", "rule", "rule_version", "status", "created_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in BacktestRun._meta.fields]


@admin.register(EvaluationState)
class EvaluationStateAdmin(SchoolScopedAdmin):
    """What each school's last evaluation saw (alerts/incremental.py); read only. Deleting a
    row makes the school's next run a full one."""

    list_display = ["school", "on_date", "started_at"]
    readonly_fields = [f.name for f in EvaluationState._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
