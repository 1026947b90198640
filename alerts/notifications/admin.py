"""The outbox in the admin: where a school admin sees notifications that could not be sent.

Replaces the plain Notification page of alerts/admin.py with one that lists the failed
notifications first (and filters to them), shows each attempt and its error, and can put a
failed notification back in the queue once the cause (a mail server, an address) is fixed.
Scoped like every admin page (SchoolScopedAdmin): an admin sees the outbox of their own
school(s) only.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Case, Value, When
from django.utils.translation import gettext, gettext_lazy, ngettext

from schools.admin import SchoolScopedAdmin

from ..models import DeliveryAttempt, Notification, NotificationStatus
from .delivery import notification_retry
from .nudge import deliver_soon


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("at", "channel", "ok", "error")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


class OutboxAdmin(SchoolScopedAdmin):
    list_display = [
        "created_at",
        "case",
        "recipient",
        "kind",
        "status",
        "attempts",
        "next_attempt_at",
        "error",
    ]
    list_filter = ["status", "kind"]
    # Failed first: those are what an admin has to act on (filter "status: failed" for only
    # them); then the newest.
    ordering = [
        Case(When(status=NotificationStatus.FAILED, then=Value(0)), default=Value(1)).asc(),
        "-created_at",
    ]
    list_select_related = ["case__student", "recipient"]
    search_fields = ["case__student__code", "recipient__email"]
    inlines = [DeliveryAttemptInline]
    actions = ["retry_failed"]
    # The outbox is written by the services; the admin reads it and can only re-queue.
    readonly_fields = [
        "error" if f.name == "last_error" else f.name for f in Notification._meta.fields
    ]

    def has_add_permission(self, request):
        return False

    @admin.display(description=gettext_lazy("Last error"), ordering="last_error")
    def error(self, obj: Notification) -> str:
        """The stored error in the reader's language: the service's own errors are stored in
        English (delivery.RECIPIENT_GONE) and have a translation; a mail server's have none and
        are shown as they came."""
        return gettext(obj.last_error) if obj.last_error else ""

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("Retry the selected failed notifications now"))
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
