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
from schools.models import Membership, Role, School

from ..models import Case, Notification, NotificationKind
from .delivery import deliver_soon

CHANGE_KINDS = {
    "opened": NotificationKind.OPENED,
    "reopened": NotificationKind.OPENED,
    "stage_raised": NotificationKind.STAGE_RAISED,
    "severity_raised": NotificationKind.SEVERITY_RAISED,
    "escalated": NotificationKind.ESCALATED,
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
    return f"{change}:{cycle}"


def casework_members(school: School) -> dict[int, str]:
    """{user id: role} of the active counsellors and school admins of `school`: the people a
    notification about one of its cases may go to."""
    return dict(
        Membership.objects.filter(
            school=school, role__in=[Role.COUNSELLOR, Role.SCHOOL_ADMIN], user__is_active=True
        ).values_list("user_id", "role")
    )


def recipients_for(case: Case) -> list[User]:
    """The student's assigned counsellor, else the school's designated counsellor; when
    neither is a member of casework staff of the school any more, the school's counsellors,
    else its school admins, so that no case goes untold."""
    student = case.student
    school = student.school
    casework = casework_members(school)
    if student.assigned_counsellor_id in casework and student.assigned_counsellor:
        return [student.assigned_counsellor]
    if school.designated_counsellor_id in casework and school.designated_counsellor:
        return [school.designated_counsellor]
    for role in (Role.COUNSELLOR, Role.SCHOOL_ADMIN):
        ids = [uid for uid, r in casework.items() if r == role]
        if ids:
            return list(User.objects.filter(pk__in=ids))
    return []


def case_changed(
    *, case: Case, change: str, previous: dict[str, str] | None = None
) -> list[Notification]:
    """Write the outbox rows for `change` of `case` ("opened", "reopened", "stage_raised",
    "severity_raised"); `previous` holds the stage and severity before the change.

    Must run inside the transaction that changed the case, so the case change and its
    notification commit together or not at all. Idempotent per change and recipient.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("case_changed must run inside the transaction that changed the case")
    return notifications_write(case=case, change=change, recipients=recipients_for(case))


def notifications_write(
    *, case: Case, change: str, recipients: Iterable[User], at: dt.datetime | None = None
) -> list[Notification]:
    """The one writer of outbox rows: one `Notification` per recipient for `change` of
    `case`, carrying the case's stage and severity. `at` (default now) is when the rows are
    made and first due. Idempotent per change and recipient; nudges delivery after commit
    when it wrote rows."""
    due = {} if at is None else {"created_at": at, "next_attempt_at": at}
    kind = CHANGE_KINDS[change]
    key = change_key(case, change)
    rows = [
        Notification(
            case=case,
            recipient=user,
            kind=kind,
            change_key=key,
            stage=case.stage,
            severity=case.severity,
            **due,
        )
        for user in recipients
    ]
    # ignore_conflicts: the unique constraint, not a read-then-write, keeps it to one row.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    # Ask a worker to send them as soon as this transaction commits (best effort: beat
    # delivers every minute anyway, and a broker outage never fails the case change).
    if rows:
        deliver_soon()
    return rows
