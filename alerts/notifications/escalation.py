"""Escalation: a case nobody acknowledged in time is brought to the deputy (or the admins).

A new case must be acknowledged within ESCALATE_AFTER_SCHOOL_DAYS school days of the school's
calendar. The deadline is a column, `Case.escalate_at`: the end (school-local midnight) of the
N-th school day after the day the case opened, so a case opened on a Friday evening before a
half-term week escalates only after the counsellor has had N real school days. Beat scans the
column hourly (`escalate_cases`); there is never a broker countdown, so a restart or a broker
outage delays an escalation by at most one scan and never loses it.

Escalating is a compare-and-swap on `escalated_at`, so two scans at once escalate a case once,
and the notification's change_key ("escalated:<opening>") keeps it to one message per
recipient even if a scan is repeated.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.audit import audit_record
from core.models import User
from schools.calendar import calendar_rows, school_days_from
from schools.models import Role, School

from ..models import Case, CaseEvent, CaseStatus, EventKind, Notification, NotificationKind
from .outbox import casework_members, notifications_write

logger = logging.getLogger(__name__)

# How far ahead to look for the N school days. A calendar with no term entered beyond a
# holiday falls back to weekdays: escalating late is better than never escalating.
LOOKAHEAD_DAYS = 120


def _weekdays_after(start: dt.date, count: int) -> list[dt.date]:
    days: list[dt.date] = []
    day = start
    while len(days) < count:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return days


def escalation_deadline(
    *,
    opened_at: dt.datetime,
    school: School,
    terms: list[tuple[dt.date, dt.date]],
    closed: set[dt.date],
    school_days: int,
) -> dt.datetime:
    """The end of the `school_days`-th school day after the (school-local) day `opened_at`
    falls on. Pure: the calendar rows are passed in."""
    opened_on = timezone.localtime(opened_at, school.tz).date()
    days = school_days_from(
        terms, closed, opened_on + dt.timedelta(days=1), opened_on + dt.timedelta(LOOKAHEAD_DAYS)
    )
    if len(days) < school_days:
        days = _weekdays_after(opened_on, school_days)
    last = days[school_days - 1]
    return dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=school.tz)


def _calendar(
    school: School, start: dt.date, last_opened_on: dt.date
) -> tuple[list[tuple[dt.date, dt.date]], set[dt.date]]:
    return calendar_rows(school, start, last_opened_on + dt.timedelta(days=LOOKAHEAD_DAYS + 1))


def escalation_due_at(*, school: School, opened_at: dt.datetime) -> dt.datetime | None:
    """When a case of `school` opened at `opened_at` escalates if nobody acknowledges it (None
    when escalation is off). Evaluation sets it on every case it opens or reopens (one
    calendar read for all the cases it opens at once); the scan computes it for a case that
    lacks it (opened before the column existed, or by other code)."""
    if settings.ESCALATE_AFTER_SCHOOL_DAYS <= 0:
        return None
    opened_on = timezone.localtime(opened_at, school.tz).date()
    terms, closed = _calendar(school, opened_on, opened_on)
    return escalation_deadline(
        opened_at=opened_at,
        school=school,
        terms=terms,
        closed=closed,
        school_days=settings.ESCALATE_AFTER_SCHOOL_DAYS,
    )


# Not acknowledged and not yet escalated in this opening of the case (a reopened case keeps
# the timestamps of its earlier opening, which are older than its opened_at).
UNACKNOWLEDGED = Q(status=CaseStatus.NEW) & (
    Q(acknowledged_at__isnull=True) | Q(acknowledged_at__lt=F("opened_at"))
)
NOT_ESCALATED = Q(escalated_at__isnull=True) | Q(escalated_at__lt=F("opened_at"))


def escalation_recipients(case: Case) -> list[User]:
    """The school's deputy; else the school admins. Only active casework staff of the school,
    and not someone who was already told about this case as its counsellor (the demo's year-11
    students have the deputy as their own counsellor: escalating to them would tell nobody
    new)."""
    school = case.student.school
    members = casework_members(school)
    told = set(
        Notification.objects.filter(case=case)
        .exclude(kind=NotificationKind.ESCALATED)
        .values_list("recipient_id", flat=True)
    )
    if school.deputy_id in members and school.deputy_id not in told and school.deputy:
        return [school.deputy]
    admin_ids = sorted(
        uid for uid, role in members.items() if role == Role.SCHOOL_ADMIN and uid not in told
    )
    return list(User.objects.filter(pk__in=admin_ids).order_by("pk"))


def case_escalate(*, case: Case, now: dt.datetime | None = None) -> bool:
    """Escalate one unacknowledged case: mark it escalated, add the timeline entry, write the
    outbox rows for the deputy (or admins), and nudge delivery after commit.

    At most once per opening of the case, whoever else is scanning (compare-and-swap on
    escalated_at). Returns whether this call escalated it.
    """
    now = now or timezone.now()
    with transaction.atomic():
        won = (
            Case.objects.filter(pk=case.pk)
            .filter(UNACKNOWLEDGED & NOT_ESCALATED)
            .update(escalated_at=now)
        )
        if not won:
            return False
        case.escalated_at = now
        recipients = escalation_recipients(case)
        detail = {
            "after_school_days": settings.ESCALATE_AFTER_SCHOOL_DAYS,
            "due_at": case.escalate_at.isoformat() if case.escalate_at else None,
            "recipient_ids": [u.pk for u in recipients],
        }
        CaseEvent.objects.create(case=case, kind=EventKind.ESCALATION, at=now, detail=detail)
        # Due at the escalation's own time, not the wall clock's: a scan run for a given
        # `now` (a test, a catch-up) delivers on the same timeline.
        notifications_write(items=((case, "escalated", user.pk) for user in recipients), at=now)
        audit_record(
            actor=None,
            action="case.escalate",
            obj=case,
            school_id=case.student.school_id,
            detail=detail,
        )
        if not recipients:
            logger.warning("case %s escalated but the school has no deputy or admin", case.pk)
    return True


def cases_escalate_due(*, now: dt.datetime | None = None) -> list[Case]:
    """Escalate every case whose escalation time has come and that nobody acknowledged.

    A case without `escalate_at` (opened by code that did not set it, or before this existed)
    gets it computed here from `opened_at` and the school's calendar, then is escalated if
    due. Calendar reads are per school, not per case. Returns the cases escalated now.
    """
    if settings.ESCALATE_AFTER_SCHOOL_DAYS <= 0:
        return []
    now = now or timezone.now()
    candidates = list(
        Case.objects.filter(UNACKNOWLEDGED & NOT_ESCALATED)
        .filter(
            Q(escalate_at__isnull=True)
            | Q(escalate_at__lt=F("opened_at"))
            | Q(escalate_at__lte=now)
        )
        .select_related("student__school")
        .order_by("pk")
    )
    needs_deadline: dict[int, list[Case]] = defaultdict(list)
    for case in candidates:
        if case.escalate_at is None or case.escalate_at < case.opened_at:
            needs_deadline[case.student.school_id].append(case)
    for cases in needs_deadline.values():
        school = cases[0].student.school
        opened = [timezone.localtime(c.opened_at, school.tz).date() for c in cases]
        terms, closed = _calendar(school, min(opened), max(opened))
        for case in cases:
            deadline = escalation_deadline(
                opened_at=case.opened_at,
                school=school,
                terms=terms,
                closed=closed,
                school_days=settings.ESCALATE_AFTER_SCHOOL_DAYS,
            )
            Case.objects.filter(pk=case.pk, escalate_at=case.escalate_at).update(
                escalate_at=deadline
            )
            case.escalate_at = deadline
    escalated = []
    for case in candidates:
        due = case.escalate_at is not None and case.escalate_at <= now
        if due and case_escalate(case=case, now=now):
            escalated.append(case)
    return escalated
