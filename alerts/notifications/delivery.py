"""Delivering the outbox: e-mail and in-app notices, with retries, and nothing sent twice.

alerts.notifications.outbox writes `Notification` rows in the same transaction as a case
change. Here a sender (the `deliver_notifications` task, every minute from beat, and nudged
after each case change commits) takes the rows that are due and delivers each one through
every channel.

Exactly once, as far as a database can promise it:
- A row is *claimed* with a compare-and-swap UPDATE (pending and due -> sending, stamped
  with the claim time) before anything is sent. Two senders may read the same candidate, but
  only one UPDATE matches the row, so only one of them sends it.
- The outcome is written with the same compare-and-swap on the claim time, so a sender that
  was presumed dead and lost its claim cannot overwrite the outcome of the one that took over.
- A claim older than NOTIFY_CLAIM_TIMEOUT belongs to a sender that died (worker killed in
  the middle of a send) and is taken again. The timeout is far above EMAIL_TIMEOUT, so a
  live sender is never presumed dead; the price of a real crash between "SMTP accepted" and
  "outcome written" is one repeated e-mail, never a lost one.

Retries: a failed attempt puts the row back to pending with `next_attempt_at` moved by an
exponential backoff (NOTIFY_BACKOFF_SECONDS x 2^(attempt-1)); after NOTIFY_MAX_ATTEMPTS the
row is `failed` with `last_error`, and the outbox page of the admin lists it. The retry time
is a column scanned by beat, never a broker countdown, so a broker restart loses nothing.

What a message says: the student's pseudonymous code, what happened (kind), the stage and the
severity, and a link to the case. Never a note, never anything else about the student.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from core.i18n import language_of
from schools.models import Membership
from schools.tenancy import CASEWORK_ROLES

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from ..models import DeliveryAttempt, Notice, Notification, NotificationKind, NotificationStatus

logger = logging.getLogger(__name__)

DELIVER_TASK = "alerts.tasks.deliver_notifications"

# The service's own delivery errors, stored in English in `last_error` (beside the mail
# server's, which come in English) and translated when the outbox page shows them
# (alerts.notifications.admin): the row is read by admins of any language, long after.
RECIPIENT_GONE = gettext_noop("The recipient is no longer casework staff at this school.")

KIND_HEADLINES: dict[str, StrOrPromise] = {
    NotificationKind.OPENED: gettext_lazy("A case was opened"),
    NotificationKind.STAGE_RAISED: gettext_lazy("A case's stage was raised"),
    NotificationKind.SEVERITY_RAISED: gettext_lazy("A case's severity was raised"),
    NotificationKind.ESCALATED: gettext_lazy("A case has not been acknowledged in time"),
    NotificationKind.REVIEW_DUE: gettext_lazy("A case you own is due for review"),
}


class DeliveryError(Exception):
    """A channel could not deliver; the attempt is retried later."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (e.g. the recipient no longer works at the school)."""


@dataclass(frozen=True)
class Message:
    """Everything a channel may say about a notification, and nothing more."""

    code: str
    kind: str
    headline: str
    stage: str
    severity: str
    link: str

    @property
    def subject(self) -> str:
        # No student code in the subject: subjects show on lock screens and in previews.
        return _("Early warning: %(headline)s") % {"headline": self.headline.lower()}

    @property
    def body(self) -> str:
        return (
            _("%(headline)s.") % {"headline": self.headline}
            + "\n\n"
            + _("Student: %(code)s") % {"code": self.code}
            + "\n"
            + _("Stage: %(stage)s") % {"stage": self.stage}
            + "\n"
            + _("Severity: %(severity)s") % {"severity": self.severity}
            + "\n\n"
            + _("Open the case: %(link)s") % {"link": self.link}
            + "\n\n"
            + _(
                "This message carries only the student's pseudonymous code. "
                "Sign in to read the case."
            )
            + "\n"
        )

    @property
    def notice_text(self) -> str:
        text = _("%(headline)s: %(code)s (stage %(stage)s, severity %(severity)s)") % {
            "headline": self.headline,
            "code": self.code,
            "stage": self.stage,
            "severity": self.severity,
        }
        return text[:200]


def case_link(case_id: int) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/cases/{case_id}/"


def message_for(notification: Notification) -> Message:
    """The message in the language active now (the recipient's, in notification_deliver)."""
    return Message(
        code=notification.case.student.code,
        kind=notification.kind,
        headline=str(KIND_HEADLINES.get(notification.kind, _("A case changed"))),
        stage=str(notification.get_stage_display()),
        severity=str(notification.get_severity_display()),
        link=case_link(notification.case_id),
    )


class Channel:
    """A transport with one `notify()`: deliver or raise DeliveryError."""

    name = ""

    def is_done(self, notification: Notification) -> bool:
        """Already delivered on an earlier attempt (so a retry does not repeat it)."""
        return False

    def notify(self, notification: Notification, message: Message) -> None:
        raise NotImplementedError


class InAppChannel(Channel):
    """A Notice in the recipient's inbox. One per notification (a one-to-one column)."""

    name = "in_app"

    def is_done(self, notification: Notification) -> bool:
        return Notice.objects.filter(notification=notification).exists()

    def notify(self, notification: Notification, message: Message) -> None:
        Notice.objects.get_or_create(
            notification=notification,
            defaults={
                "user_id": notification.recipient_id,
                "case_id": notification.case_id,
                "text": message.notice_text,
            },
        )


class EmailChannel(Channel):
    """An e-mail through Django's e-mail backend (SMTP in a deployment)."""

    name = "email"

    def notify(self, notification: Notification, message: Message) -> None:
        try:
            send_mail(
                message.subject,
                message.body,
                settings.DEFAULT_FROM_EMAIL,
                [notification.recipient.email],
                fail_silently=False,
            )
        except Exception as exc:  # SMTP, socket, TLS, ...: all mean "try again later"
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc


# In-app first: it is local and idempotent, so the inbox has the notice even while the mail
# server is down.
CHANNELS: tuple[Channel, ...] = (InAppChannel(), EmailChannel())


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt: base, 2x base, 4x base, ..."""
    return dt.timedelta(seconds=settings.NOTIFY_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0))


def _due(now: dt.datetime) -> Q:
    stale_before = now - dt.timedelta(seconds=settings.NOTIFY_CLAIM_TIMEOUT)
    return Q(status=NotificationStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=NotificationStatus.SENDING, claimed_at__lt=stale_before
    )


def _claim(candidate: Mapping[str, Any], now: dt.datetime) -> bool:
    """Compare-and-swap: only the sender whose UPDATE matches the row as it read it owns it."""
    return bool(
        Notification.objects.filter(
            pk=candidate["pk"], status=candidate["status"], claimed_at=candidate["claimed_at"]
        )
        .filter(_due(now))
        .update(status=NotificationStatus.SENDING, claimed_at=now)
    )


def _recipient_may_know(notification: Notification) -> bool:
    """Only an active member of casework staff of the case's school is told about a case; the
    membership may have ended between the case change and the delivery."""
    user = notification.recipient
    return (
        user.is_active
        and Membership.objects.filter(
            user=user, school_id=notification.case.student.school_id, role__in=CASEWORK_ROLES
        ).exists()
    )


def _finish(notification: Notification, claimed_at: dt.datetime, **fields: Any) -> bool:
    done = Notification.objects.filter(
        pk=notification.pk, status=NotificationStatus.SENDING, claimed_at=claimed_at
    ).update(**fields)
    if not done:
        logger.warning(
            "notification %s: claim lost before the outcome was written", notification.pk
        )
    return bool(done)


def _deliver_channels(notification: Notification) -> tuple[str, bool]:
    """Every channel not yet done, each attempt recorded; stops at the first failure.
    Returns (error, permanent): an empty error when all delivered.

    The sender runs in no one's language: the message (the notice's text, the e-mail) is
    written in the recipient's (their own choice, else their school's)."""
    with language_of(notification.recipient):
        message = message_for(notification)
        for channel in CHANNELS:
            if channel.is_done(notification):
                continue
            try:
                channel.notify(notification, message)
            except DeliveryError as exc:
                error = str(exc)[:2000]
                DeliveryAttempt.objects.create(
                    notification=notification, channel=channel.name, ok=False, error=error
                )
                return error, isinstance(exc, PermanentDeliveryError)
            DeliveryAttempt.objects.create(notification=notification, channel=channel.name, ok=True)
    return "", False


def notification_deliver(
    *, notification: Notification, claimed_at: dt.datetime, now: dt.datetime | None = None
) -> str:
    """Deliver one claimed notification through every channel not yet done, record each
    attempt, and write the outcome: sent, pending again (with backoff) or failed.

    The caller must hold the claim (`status=sending`, `claimed_at`). Returns the new status.
    """
    now = now or timezone.now()
    attempts = notification.attempts + 1
    error = ""
    permanent = False
    if not _recipient_may_know(notification):
        error, permanent = RECIPIENT_GONE, True
    else:
        error, permanent = _deliver_channels(notification)

    if not error:
        _finish(
            notification,
            claimed_at,
            status=NotificationStatus.SENT,
            attempts=attempts,
            sent_at=timezone.now(),
            last_error="",
        )
        return NotificationStatus.SENT
    if permanent or attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        _finish(
            notification,
            claimed_at,
            status=NotificationStatus.FAILED,
            attempts=attempts,
            last_error=error,
        )
        logger.error(
            "notification %s failed permanently after %s attempt(s): %s",
            notification.pk,
            attempts,
            error,
        )
        return NotificationStatus.FAILED
    _finish(
        notification,
        claimed_at,
        status=NotificationStatus.PENDING,
        attempts=attempts,
        next_attempt_at=now + backoff(attempts),
        last_error=error,
    )
    return NotificationStatus.PENDING


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed


def notifications_deliver_due(
    *, now: dt.datetime | None = None, limit: int = 100
) -> DeliveryReport:
    """Deliver up to `limit` notifications that are due (pending with next_attempt_at <= now,
    or claimed longer ago than NOTIFY_CLAIM_TIMEOUT by a sender that died).

    Safe to run from any number of senders at once: each row is claimed by exactly one of
    them before anything is sent. Oldest due first.
    """
    now = now or timezone.now()
    report = DeliveryReport()
    candidates = list(
        Notification.objects.filter(_due(now))
        .order_by("next_attempt_at", "id")
        .values("pk", "status", "claimed_at")[:limit]
    )
    for candidate in candidates:
        if not _claim(candidate, now):
            continue  # another sender has it
        notification = Notification.objects.select_related("case__student", "recipient").get(
            pk=candidate["pk"]
        )
        status = notification_deliver(notification=notification, claimed_at=now, now=now)
        if status == NotificationStatus.SENT:
            report.sent += 1
        elif status == NotificationStatus.FAILED:
            report.failed += 1
        else:
            report.retrying += 1
    return report


def notifications_drain(*, batch_size: int = 100, max_seconds: float = 45.0) -> int:
    """Deliver batch after batch until nothing is due for this sender, or `max_seconds` have
    passed (then the next beat run carries on rather than overlapping this one for long).
    Returns how many notifications this call handled."""
    started, handled = time.monotonic(), 0
    while True:
        batch = notifications_deliver_due(limit=batch_size).handled
        handled += batch
        if batch < batch_size or time.monotonic() - started > max_seconds:
            return handled


def notification_retry(*, notification: Notification) -> bool:
    """Put a failed notification back in the queue (an admin fixed the cause): due now, with
    a fresh count of attempts. Returns False when it was not failed any more."""
    return bool(
        Notification.objects.filter(pk=notification.pk, status=NotificationStatus.FAILED).update(
            status=NotificationStatus.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            claimed_at=None,
        )
    )
