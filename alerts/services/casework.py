"""Working a case: status changes along the allowed steps (compare-and-swap), notes,
actions, and the audit of every read."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_reads, audit_record
from core.exceptions import Conflict
from core.models import User
from core.screening import clean_text
from schools.services import validate_note

from ..models import ActionType, Case, CaseEvent, CaseStatus, EventKind, OutcomeKind
from .outcomes import outcome_record


class CaseConflict(ValidationError, Conflict):
    """The case changed meanwhile (someone else moved it first): reload and decide again.
    A ValidationError so that forms show it; the API answers 409 for it (a Conflict)."""


# Forward through the documented statuses; back from monitoring to in progress when the
# pattern returns; resolved from anywhere. A resolved case is reopened only by evidence.
TRANSITIONS: dict[str, frozenset[str]] = {
    CaseStatus.NEW: frozenset(
        {CaseStatus.ACKNOWLEDGED, CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED}
    ),
    CaseStatus.ACKNOWLEDGED: frozenset(
        {CaseStatus.IN_PROGRESS, CaseStatus.MONITORING, CaseStatus.RESOLVED}
    ),
    CaseStatus.IN_PROGRESS: frozenset({CaseStatus.MONITORING, CaseStatus.RESOLVED}),
    CaseStatus.MONITORING: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED}),
    CaseStatus.RESOLVED: frozenset(),
}


def _school_id(case: Case) -> int:
    return case.student.school_id


def case_set_status(*, case: Case, to_status: str, by: User, text: str = "") -> Case:
    """Move `case` to `to_status` if that is a valid step from its status, as a
    compare-and-swap on the status it had when read: a concurrent change raises CaseConflict
    and writes nothing. Leaving "new" by any step records who acknowledged it and when.
    Appends a timeline entry and an audit entry. `text` (screened) goes on the timeline;
    for a resolution it is the reason."""
    from_status = case.status
    if to_status not in CaseStatus.values:
        raise ValidationError(
            _("Unknown status %(s)s."), code="unknown_status", params={"s": to_status}
        )
    if to_status not in TRANSITIONS[from_status]:
        raise ValidationError(
            _("A case cannot go from %(a)s to %(b)s. From %(a)s it can go to: %(ok)s."),
            code="invalid_transition",
            params={
                "a": CaseStatus(from_status).label,
                "b": CaseStatus(to_status).label,
                "ok": ", ".join(str(CaseStatus(s).label) for s in sorted(TRANSITIONS[from_status]))
                or _("nothing (it reopens only on new evidence)"),
            },
        )
    text = validate_note(text)
    now = timezone.now()
    values: dict[str, Any] = {"status": to_status}
    if case.acknowledged_at is None:
        values.update(acknowledged_at=now, acknowledged_by=by)
    if to_status == CaseStatus.RESOLVED:
        values.update(resolved_at=now, resolved_by=by, resolution_reason=text)
    with transaction.atomic():
        if not Case.objects.filter(pk=case.pk, status=from_status).update(**values):
            raise CaseConflict(
                _("The case was changed by someone else meanwhile; reload it and try again."),
                code="conflict",
            )
        for name, value in values.items():
            setattr(case, name, value)
        CaseEvent.objects.create(
            case=case,
            kind=EventKind.STATUS_CHANGE,
            author=by,
            at=now,
            from_status=from_status,
            to_status=to_status,
            text=text,
        )
        audit_record(
            actor=by,
            action="case.status",
            obj=case,
            school_id=_school_id(case),
            detail={"from": from_status, "to": to_status},
        )
    return case


def case_acknowledge(*, case: Case, by: User) -> Case:
    """Acknowledge a new case (stops its escalation clock). A case already past "new" is
    returned as it is: acknowledging twice is not an error."""
    if case.status != CaseStatus.NEW:
        return case
    return case_set_status(case=case, to_status=CaseStatus.ACKNOWLEDGED, by=by)


def case_resolve(*, case: Case, by: User, reason: str, outcome: str) -> Case:
    """Resolve `case` with a short screened reason and the outcome (one of OutcomeKind, both
    required), recorded for the student dated today at the school: the resolution and the
    outcome are written together or not at all. It reopens only on evidence dated after
    today."""
    if not clean_text(reason):
        raise ValidationError(_("Say in a few words why the case is resolved."), code="no_reason")
    if outcome not in OutcomeKind.values:
        raise ValidationError(
            _("Say what the outcome was: one of %(ok)s."),
            code="unknown_outcome",
            params={"ok": _(", ").join(OutcomeKind.values)},
        )
    with transaction.atomic():
        case = case_set_status(case=case, to_status=CaseStatus.RESOLVED, by=by, text=reason)
        student = case.student
        outcome_record(
            student=student, kind=outcome, on_date=student.school.today(), by=by, case=case
        )
    return case


def case_add_note(*, case: Case, by: User, text: str) -> CaseEvent:
    """Append a screened note to the case timeline (never edited afterwards)."""
    text = validate_note(text)
    if not text:
        raise ValidationError(_("A note cannot be empty."), code="empty_note")
    with transaction.atomic():
        event = CaseEvent.objects.create(case=case, kind=EventKind.NOTE, author=by, text=text)
        audit_record(actor=by, action="case.note", obj=case, school_id=_school_id(case))
    return event


def case_record_action(*, case: Case, by: User, action_type: str, text: str = "") -> CaseEvent:
    """Append an action taken (one of the documented responses, or "other" with a short
    description) to the case timeline."""
    if action_type not in ActionType.values:
        raise ValidationError(
            _("Unknown action %(a)s. Choose one of: %(ok)s."),
            code="unknown_action",
            params={"a": action_type, "ok": ", ".join(ActionType.values)},
        )
    text = validate_note(text)
    if action_type == ActionType.OTHER and not text:
        raise ValidationError(_("Describe the action in a few words."), code="no_text")
    with transaction.atomic():
        event = CaseEvent.objects.create(
            case=case, kind=EventKind.ACTION, author=by, action_type=action_type, text=text
        )
        audit_record(
            actor=by,
            action="case.action",
            obj=case,
            school_id=_school_id(case),
            detail={"action_type": action_type},
        )
    return event


def case_record_read(*, case: Case, by: User) -> None:
    """Every read of a case is in the audit trail (who, which case, when)."""
    audit_record(actor=by, action="case.read", obj=case, school_id=_school_id(case))


def cases_record_list_read(*, cases: list[Case], by: User) -> None:
    """A list of cases shown to `by`: one audit row per case (with its student's code)."""
    audit_reads(actor=by, action="case.list", objects=cases, school_of=_school_id)
