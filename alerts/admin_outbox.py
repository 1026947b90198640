"""The outbox in the admin: where a school admin sees notifications that could not be sent.

Replaces the plain Notification page of alerts/admin.py with one that opens on the failed
notifications, shows each attempt and its error, and can put a failed notification back in
the queue once the cause (a mail server, an address) is fixed. Scoped like every admin page
(SchoolScopedAdmin): an admin sees the outbox of their own school(s) only.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import ngettext

from schools.admin import SchoolScopedAdmin

from .delivery import deliver_soon, notification_retry
from .models import DeliveryAttempt, Notification, NotificationStatus


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ["at", "channel", "ok", "error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class StatusFilter(admin.SimpleListFilter):
    """Opens on the failed ones: those are what an admin has to act on."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*NotificationStatus.choices, ("all", "All")]

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value
                or (self.value() is None and value == NotificationStatus.FAILED),
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or NotificationStatus.FAILED
        if value == "all":
            return queryset
        return queryset.filter(status=value)


class OutboxAdmin(SchoolScopedAdmin):
    list_display = [
        "created_at",
        "case",
        "recipient",
        "kind",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    list_filter = [StatusFilter, "kind"]
    list_select_related = ["case__student", "recipient"]
    search_fields = ["case__student__code", "recipient__email"]
    inlines = [DeliveryAttemptInline]
    actions = ["retry_failed"]
    # The outbox is written by the services; the admin reads it and can only re-queue.
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Retry the selected failed notifications now")
    def retry_failed(self, request, queryset):
        retried = sum(
            notification_retry(notification=n)
            for n in queryset.filter(status=NotificationStatus.FAILED)
        )
        if retried:
            deliver_soon()
        self.message_user(
            request,
            ngettext("%d notification queued again.", "%d notifications queued again.", retried)
            % retried,
            messages.SUCCESS,
        )


if admin.site.is_registered(Notification):
    admin.site.unregister(Notification)
admin.site.register(Notification, OutboxAdmin)
