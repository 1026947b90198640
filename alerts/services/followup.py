"""Following a case up: its owner, its review date, reopening it by hand, and a concern a
counsellor raises by hand for what no rule can see.

Each writer is a compare-and-swap on the column it changes (someone else changing it first
raises CaseConflict and writes nothing), appends one timeline entry and one audit entry, in
one transaction.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.models import User
from core.screening import clean_text
from schools.models import Membership, Role, Student
from schools.services import validate_note

from ..models import Case, CaseEvent, CaseOrigin, CaseStatus, EventKind, Severity, Stage
from ..notifications import case_changed, escalation_due_at
from .casework import CaseConflict

# Where a counsellor's reopening takes a resolved case: they are working it again.
REOPEN_STATUS = CaseStatus.IN_PROGRESS


def school_counsellors(*, school_id: int) -> QuerySet[User]:
    """The active counsellors of a school: who may own its cases."""
    return User.objects.filter(
        is_active=True,
        memberships__school_id=school_id,
        memberships__role=Role.COUNSELLOR,
    ).order_by("email")


def _is_counsellor(user_id: int | None, school_id: int) -> bool:
    return (
        user_id is not None
        and Membership.objects.filter(
            user_id=user_id, school_id=school_id, role=Role.COUNSELLOR, user__is_active=True
        ).exists()
    )


def case_default_owner(*, student: Student) -> User | None:
    """The owner a new case of `student` gets: the student's assigned counsellor, else the
    school's designated counsellor, while that person is an active counsellor of the
    school; else nobody (the list shows the case as unowned)."""
    school = student.school
    for user_id in (student.assigned_counsellor_id, school.designated_counsellor_id):
        if user_id is not None and _is_counsellor(user_id, school.pk):
            return User.objects.get(pk=user_id)
    return None


def default_owner_ids(*, students: list[Student]) -> dict[int, int | None]:
    """{student id: the id of the owner a new case of theirs gets} for many students at
    once (the evaluation opens many cases in one run): one query, whatever their number.
    The same choice as case_default_owner."""
    school_ids = {s.school_id for s in students}
    counsellors = set(
        Membership.objects.filter(
            school_id__in=school_ids, role=Role.COUNSELLOR, user__is_active=True
        ).values_list("school_id", "user_id")
    )
    owners: dict[int, int | None] = {}
    for student in students:
        owners[student.pk] = next(
            (
                uid
                for uid in (student.assigned_counsellor_id, student.school.designated_counsellor_id)
                if uid and (student.school_id, uid) in counsellors
            ),
            None,
        )
    return owners


def _open_only(case: Case, message: str) -> None:
    """Refuse a change of a resolved case, saying so in `message` (a whole sentence)."""
    if not case.is_open:
        raise ValidationError(message, code="resolved")


def case_set_owner(*, case: Case, owner: User, by: User) -> Case:
    """Make `owner` (an active counsellor of the case's school) the case's owner. A timeline
    entry says who handed it to whom. Choosing the current owner changes nothing."""
    school_id = case.student.school_id
    if not _is_counsellor(owner.pk, school_id):
        raise ValidationError(
            _("Choose a counsellor of this school as the owner."), code="not_a_counsellor"
        )
    previous = case.owner_id
    if previous == owner.pk:
        return case
    with transaction.atomic():
        if not Case.objects.filter(pk=case.pk, owner_id=previous).update(owner=owner):
            raise CaseConflict(
                _("The owner was changed by someone else meanwhile; reload the case."),
                code="conflict",
            )
        case.owner = owner
        CaseEvent.objects.create(
            case=case,
            kind=EventKind.OWNER_CHANGE,
            author=by,
            detail={"from": previous, "to": owner.pk},
        )
        audit_record(
            actor=by,
            action="case.owner",
            obj=case,
            school_id=school_id,
            detail={"from": previous, "to": owner.pk},
        )
    return case


def case_set_review(*, case: Case, review_on: dt.date | None, by: User) -> Case:
    """Set (or, with None, clear) the date the owner means to review the open case. The date
    is today or later at the school. On that school day (or the next one, if it is not a
    school day) the owner is reminded in-app and by e-mail (alerts.notifications.reminders)."""
    _open_only(case, _("The case is resolved: reopen it before setting a review date."))
    if review_on is not None and review_on < case.student.school.today():
        raise ValidationError(
            _("Choose today or a later date for the review."), code="review_in_past"
        )
    previous = case.review_on
    if previous == review_on:
        return case
    with transaction.atomic():
        if not Case.objects.filter(pk=case.pk, review_on=previous).update(review_on=review_on):
            raise CaseConflict(
                _("The review date was changed by someone else meanwhile; reload the case."),
                code="conflict",
            )
        case.review_on = review_on
        detail = {
            "from": previous.isoformat() if previous else None,
            "to": review_on.isoformat() if review_on else None,
        }
        CaseEvent.objects.create(case=case, kind=EventKind.REVIEW_SET, author=by, detail=detail)
        audit_record(
            actor=by,
            action="case.review",
            obj=case,
            school_id=case.student.school_id,
            detail=detail,
        )
    return case


def _reason(text: str, message: str) -> str:
    text = validate_note(text)
    if not clean_text(text):
        raise ValidationError(message, code="no_reason")
    return text


def case_reopen_by_hand(*, case: Case, by: User, reason: str) -> Case:
    """Reopen a resolved case with a short screened reason (required): it goes to "in
    progress", acknowledged by the person who reopened it (they are working it, so nobody is
    escalated to). Refused while the student has another open case."""
    reason = _reason(reason, _("Say in a few words why the case is reopened."))
    if case.is_open:
        raise ValidationError(_("The case is already open."), code="already_open")
    now = timezone.now()
    values = {
        "status": REOPEN_STATUS,
        "resolved_at": None,
        "resolved_by": None,
        "resolution_reason": "",
        "acknowledged_at": now,
        "acknowledged_by": by,
        "opened_at": now,
        "clean_weeks": 0,
        "resolution_suggested_at": None,
        "escalate_at": None,
        "escalated_at": None,
        "review_reminded_for": None,
    }
    try:
        with transaction.atomic():
            won = Case.objects.filter(pk=case.pk, status=CaseStatus.RESOLVED).update(
                opened_count=F("opened_count") + 1, **values
            )
            if not won:
                raise CaseConflict(
                    _("The case was changed by someone else meanwhile; reload it and try again."),
                    code="conflict",
                )
            case.refresh_from_db()
            CaseEvent.objects.create(
                case=case,
                kind=EventKind.REOPENED,
                author=by,
                at=now,
                from_status=CaseStatus.RESOLVED,
                to_status=REOPEN_STATUS,
                text=reason,
                detail={"by_hand": True},
            )
            audit_record(
                actor=by,
                action="case.reopen",
                obj=case,
                school_id=case.student.school_id,
                detail={"by_hand": True},
            )
    except IntegrityError:
        raise ValidationError(
            _("This student already has an open case; work that one instead."),
            code="another_open_case",
        ) from None
    return case


def case_open_by_hand(
    *, student: Student, by: User, reason: str, severity: str = Severity.MEDIUM
) -> Case:
    """Open a case for `student` raised by a person (`by`, a counsellor), with a short
    screened reason (required), for what no rule can see.

    The one-open-case constraint holds as for any case: a student with an open case gets
    a clear refusal and nothing is written. When a rule later fires for the student, the
    evaluation updates this case (its evidence, stage and severity) instead of opening a
    second one. Its owner is the default owner, else the person who raised it; it starts
    acknowledged when that person owns it, else new (and its owner is told, as for a case
    a rule opened)."""
    reason = _reason(reason, _("Say in a few words what the concern is."))
    if severity not in Severity.values:
        raise ValidationError(_("Choose a severity."), code="unknown_severity")
    if Case.objects.filter(student=student).exclude(status=CaseStatus.RESOLVED).exists():
        raise ValidationError(
            _("This student already has an open case; add a note to it instead."),
            code="another_open_case",
        )
    school = student.school
    today = school.today()
    owner = case_default_owner(student=student)
    if owner is None and _is_counsellor(by.pk, school.pk):
        owner = by
    now = timezone.now()
    mine = owner is not None and owner.pk == by.pk
    case = Case(
        student=student,
        origin=CaseOrigin.PERSON,
        owner=owner,
        status=CaseStatus.ACKNOWLEDGED if mine else CaseStatus.NEW,
        acknowledged_at=now if mine else None,
        acknowledged_by=by if mine else None,
        stage=Stage.WATCH,
        severity=severity,
        first_evidence_on=today,
        last_evidence_on=today,
        persisted_since=today,
        last_fired_on=today,
        opened_at=now,
    )
    try:
        with transaction.atomic():
            if not mine:
                case.escalate_at = escalation_due_at(school=student.school, opened_at=now)
            case.save()
            CaseEvent.objects.create(
                case=case,
                kind=EventKind.OPENED,
                author=by,
                at=now,
                to_status=case.status,
                text=reason,
                detail={"origin": CaseOrigin.PERSON, "severity": severity, "stage": case.stage},
            )
            audit_record(
                actor=by,
                action="case.open",
                obj=case,
                school_id=school.pk,
                detail={"origin": CaseOrigin.PERSON},
            )
            if not mine:
                case_changed(case=case, change="opened")
    except IntegrityError:
        # Another case was opened for the student between the check and the insert.
        raise ValidationError(
            _("This student already has an open case; add a note to it instead."),
            code="another_open_case",
        ) from None
    return case
