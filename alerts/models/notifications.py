"""The outbox (one Notification per case change and recipient), its delivery attempts,
and the in-app notices."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .cases import Case, Stage
from .rules import Severity


class NotificationKind(models.TextChoices):
    OPENED = "opened", _("Case opened")
    STAGE_RAISED = "stage_raised", _("Stage raised")
    SEVERITY_RAISED = "severity_raised", _("Severity raised")
    ESCALATED = "escalated", _("Escalated")
    REVIEW_DUE = "review_due", _("Review due")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notification(models.Model):
    """The outbox: written in the same transaction as the case change, then delivered.

    `change_key` names the change ("opened:1", "stage:persistent:1", ...), so one case change
    yields at most one notification per recipient and kind, however often evaluation runs.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    change_key = models.CharField(max_length=60)
    # What the message says: the stage and severity at the time of the change.
    stage = models.CharField(max_length=16, choices=Stage.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    status = models.CharField(
        max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    SCHOOL_PATH = "case__student__school"

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "recipient", "kind", "change_key"],
                name="one_notification_per_change_and_recipient",
                violation_error_message=_("This change was already notified to this person."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=NotificationStatus.values),
                name="notification_status_is_known",
                violation_error_message=_("Unknown notification status."),
            ),
            models.CheckConstraint(
                condition=~Q(status=NotificationStatus.SENT) | Q(sent_at__isnull=False),
                name="sent_notification_has_sent_at",
                violation_error_message=_("A sent notification has the time it was sent."),
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.change_key} to {self.recipient_id} ({self.status})"


class DeliveryAttempt(models.Model):
    """One try at delivering a notification, successful or not."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="delivery_attempts"
    )
    channel = models.CharField(max_length=20, default="email")
    at = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField()
    error = models.TextField(blank=True)

    SCHOOL_PATH = "notification__case__student__school"

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'failed'}"


class Notice(models.Model):
    """An in-app notice in a user's inbox; one per delivered notification."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notices")
    notification = models.OneToOneField(
        Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="notice"
    )
    text = models.CharField(max_length=200)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    SCHOOL_PATH = "case__student__school"

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.text
