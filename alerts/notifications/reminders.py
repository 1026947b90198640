"""Review reminders: on a case's review date the owner is told, in-app and by e-mail.

The due date is a column (`Case.review_on`) that beat scans every hour (`remind_reviews`);
there is never a broker countdown, so a restart or a broker outage delays a reminder by at
most one scan and never loses it. A review date that is not a school day (a weekend, a
holiday) reminds on the next school day: the owner is not told on a Saturday.

One review date reminds once: the scan writes `review_reminded_for` with a compare-and-swap,
and the notification's change_key ("review:<date>:<opening>") keeps it to one message even
if two scans run at once. Setting a new review date arms the reminder again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.audit import audit_record
from schools.calendar import is_school_day

from ..models import (
    OPEN_STATUSES,
    Case,
    CaseEvent,
    EventKind,
)
from .outbox import notifications_write

logger = logging.getLogger(__name__)

NOT_REMINDED = Q(review_reminded_for__isnull=True) | ~Q(review_reminded_for=F("review_on"))


def case_remind_review(*, case: Case, now: dt.datetime | None = None) -> bool:
    """Remind the owner of `case` that its review is due: the timeline entry and the outbox
    row, in one transaction; delivery is nudged after commit. At most once per review date
    (compare-and-swap on review_reminded_for). Returns whether this call reminded."""
    now = now or timezone.now()
    review_on, owner_id = case.review_on, case.owner_id
    if review_on is None or owner_id is None:
        return False  # no review date, or nobody to remind
    with transaction.atomic():
        won = (
            Case.objects.filter(pk=case.pk, review_on=review_on, owner_id=owner_id)
            .filter(NOT_REMINDED)
            .update(review_reminded_for=review_on)
        )
        if not won:
            return False
        case.review_reminded_for = case.review_on
        detail = {"review_on": review_on.isoformat(), "owner": owner_id}
        CaseEvent.objects.create(case=case, kind=EventKind.REVIEW_DUE, at=now, detail=detail)
        notifications_write(items=[(case, "review_due", owner_id)], at=now)
        audit_record(
            actor=None,
            action="case.review_due",
            obj=case,
            school_id=case.student.school_id,
            detail=detail,
        )
    return True


def reviews_remind_due(*, now: dt.datetime | None = None) -> list[Case]:
    """Remind the owner of every open case whose review date has come at its school (today
    or earlier, school-local) on a school day, and that was not reminded for that date yet.
    Calendar reads are per school, not per case. Returns the cases reminded now."""
    now = now or timezone.now()
    candidates = list(
        Case.objects.filter(status__in=OPEN_STATUSES, owner__isnull=False, review_on__isnull=False)
        .filter(NOT_REMINDED)
        # The earliest date any school can be at: a cheap bound before the per-school check.
        .filter(review_on__lte=(now + dt.timedelta(days=1)).date())
        .select_related("student__school", "owner")
        .order_by("pk")
    )
    by_school: dict[int, list[Case]] = defaultdict(list)
    for case in candidates:
        by_school[case.student.school_id].append(case)
    reminded = []
    for cases in by_school.values():
        school = cases[0].student.school
        today = timezone.localtime(now, school.tz).date()
        if not is_school_day(school, today):
            continue
        for case in cases:
            due = case.review_on is not None and case.review_on <= today
            if due and case_remind_review(case=case, now=now):
                reminded.append(case)
    if reminded:
        logger.info("review reminders written for %d case(s)", len(reminded))
    return reminded
