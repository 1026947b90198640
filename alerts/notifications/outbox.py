"""Telling people about cases: the outbox.

`case_changed` is THE hook: alerts.services calls it, inside the transaction that changed the
case, when a case opens (or reopens) and when its stage or severity rises; escalation goes
through the same writer (`notifications_write`), the one place that builds `Notification`
rows. It writes one row per recipient; the unique constraint on (case, recipient, kind,
change_key) makes a repeated call for the same change write nothing, so evaluation can run
any number of times and each change is told once. Delivery (e-mail, in-app notice, retries,
escalation) reads these rows later; nothing here talks to a mail server or a broker.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction

from core.models import User
from schools.models import Membership, Role, School, Student

from ..models import Case, Notification, NotificationKind
from .nudge import deliver_soon

CHANGE_KINDS = {
    "opened": NotificationKind.OPENED,
    "reopened": NotificationKind.OPENED,
    "stage_raised": NotificationKind.STAGE_RAISED,
    "severity_raised": NotificationKind.SEVERITY_RAISED,
    "escalated": NotificationKind.ESCALATED,
    "review_due": NotificationKind.REVIEW_DUE,
}


def change_key(case: Case, change: str) -> str:
    """Names one change of one case: a case reopened later is told about again, a stage or
    severity level is told about once per opening."""
    cycle = case.opened_count
    if change in ("opened", "reopened"):
        return f"opened:{cycle}"
    if change == "stage_raised":
        return f"stage:{case.stage}:{cycle}"
    if change == "severity_raised":
        return f"severity:{case.severity}:{cycle}"
    if change == "review_due":
        # One reminder per review date and opening; a new review date reminds again.
        return f"review:{case.review_on.isoformat() if case.review_on else ''}:{cycle}"
    return f"{change}:{cycle}"


def casework_members(school: School) -> dict[int, str]:
    """{user id: role} of the active counsellors and school admins of `school`: the people a
    notification about one of its cases may go to."""
    return dict(
        Membership.objects.filter(
            school=school, role__in=[Role.COUNSELLOR, Role.SCHOOL_ADMIN], user__is_active=True
        )
        .order_by()
        .values_list("user_id", "role")
    )


class Recipients:
    """Who is told about the cases of one school, read once for all of them: the school's
    casework staff (one query), and nothing more per case. An evaluation run makes one and
    asks it for every case it changes."""

    def __init__(self, school: School) -> None:
        self.school = school
        self.casework = casework_members(school)

    def ids_for(self, student: Student) -> list[int]:
        """The student's assigned counsellor, else the school's designated counsellor; when
        neither is a member of casework staff of the school any more, the school's
        counsellors, else its school admins, so that no case goes untold."""
        if student.assigned_counsellor_id in self.casework:
            return [student.assigned_counsellor_id]
        if self.school.designated_counsellor_id in self.casework:
            return [self.school.designated_counsellor_id]
        for role in (Role.COUNSELLOR, Role.SCHOOL_ADMIN):
            ids = sorted(uid for uid, r in self.casework.items() if r == role)
            if ids:
                return ids
        return []


def recipients_for(case: Case) -> list[User]:
    """The users told about `case` (see Recipients.ids_for)."""
    ids = Recipients(case.student.school).ids_for(case.student)
    users = User.objects.in_bulk(ids)
    return [users[i] for i in ids if i in users]


def case_changed(
    *,
    case: Case,
    change: str,
    previous: dict[str, str] | None = None,
    recipients: Recipients | None = None,
) -> list[Notification]:
    """Write the outbox rows for `change` of `case` ("opened", "reopened", "stage_raised",
    "severity_raised"); `previous` holds the stage and severity before the change.

    Must run inside the transaction that changed the case, so the case change and its
    notification commit together or not at all. Idempotent per change and recipient.
    """
    recipients = recipients or Recipients(case.student.school)
    return cases_changed(changes=[(case, change)], recipients=recipients)


def cases_changed(
    *, changes: Iterable[tuple[Case, str]], recipients: Recipients
) -> list[Notification]:
    """case_changed for many cases of one school: one insert for all their outbox rows."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("case_changed must run inside the transaction that changed the case")
    return notifications_write(
        items=(
            (case, change, user_id)
            for case, change in changes
            for user_id in recipients.ids_for(case.student)
        )
    )


def notifications_write(
    *, items: Iterable[tuple[Case, str, int]], at: dt.datetime | None = None
) -> list[Notification]:
    """The one writer of outbox rows: one `Notification` per (case, change, recipient id),
    carrying the case's stage and severity, in one insert. `at` (default now) is when the
    rows are made and first due. Idempotent per change and recipient (the unique constraint,
    not a read-then-write); nudges delivery after commit when it wrote rows."""
    due = {} if at is None else {"created_at": at, "next_attempt_at": at}
    rows = [
        Notification(
            case=case,
            recipient_id=user_id,
            kind=CHANGE_KINDS[change],
            change_key=change_key(case, change),
            stage=case.stage,
            severity=case.severity,
            **due,
        )
        for case, change, user_id in items
    ]
    if not rows:
        return rows
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    # Ask a worker to send them as soon as this transaction commits (best effort: beat
    # delivers every minute anyway, and a broker outage never fails the case change).
    deliver_soon()
    return rows
