"""What an evaluation writes to a case: opening (many at once, or one by one when the
constraint refuses the batch), reopening, and updating an open case; each with its evidence
rows, fired rules, timeline, audit entry and notification rows in the same transaction. A new
case gets its default owner (the assigned or designated counsellor). Updating the open cases
whose rules fired again is gathered and written in bulk: services/case_updates.py."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit import audit_entry, audit_record, audit_record_many
from schools.models import Student

from .. import engine
from ..models import (
    Case,
    CaseEvent,
    CaseEvidence,
    CaseRule,
    CaseStatus,
    EventKind,
)
from ..notifications import Recipients, case_changed, cases_changed, escalation_due_at
from .evidence import evidence_insert, evidence_rows
from .followup import default_owner_ids
from .grading import Assessment

if TYPE_CHECKING:
    from .evaluation import EvaluationSummary

# The rules a case has fired, by (case id, rule id, rule version).
FiredRules = dict[tuple[int, int | None, int], CaseRule]
# When a case opens and when it escalates unless acknowledged.
Opened = tuple[dt.datetime, dt.datetime | None]


def _rules_payload(assessment: Assessment) -> list[dict[str, int]]:
    return [{"rule": m.rule.pk, "version": m.rule.version} for m in assessment.matches]


def fired_rule_row(case: Case, match: engine.RuleMatch, on_date: dt.date) -> CaseRule:
    """A rule (at its current version) that fired for `case` for the first time on `on_date`."""
    return CaseRule(
        case=case,
        rule=match.rule,
        rule_name=match.rule.name,
        rule_version=match.rule.version,
        first_fired_on=on_date,
        last_fired_on=on_date,
    )


def _write_fired_rules(
    case: Case, assessment: Assessment, on_date: dt.date, fired: FiredRules
) -> bool:
    """Record each rule (at its current version) that fired; True when anything changed."""
    new: list[CaseRule] = []
    changed = False
    for match in assessment.matches:
        key = (case.pk, match.rule.pk, match.rule.version)
        existing = fired.get(key)
        if existing is None:
            new.append(fired_rule_row(case, match, on_date))
        elif existing.last_fired_on < on_date:
            CaseRule.objects.filter(pk=existing.pk).update(last_fired_on=on_date)
            changed = True
    CaseRule.objects.bulk_create(new)
    return changed or bool(new)


def _new_case(
    student: Student,
    assessment: Assessment,
    on_date: dt.date,
    opened: Opened,
    owner_id: int | None,
) -> Case:
    opened_at, escalate_at = opened
    return Case(
        student=student,
        owner_id=owner_id,
        opened_at=opened_at,
        escalate_at=escalate_at,
        status=CaseStatus.NEW,
        stage=assessment.stage,
        severity=assessment.severity,
        context_signs=assessment.context,
        first_evidence_on=assessment.first_evidence_on,
        last_evidence_on=assessment.last_evidence_on,
        persisted_since=assessment.persisted_since,
        last_fired_on=on_date,
        evidence=assessment.evidence,
    )


def _opened_event(case: Case, assessment: Assessment, on_date: dt.date) -> CaseEvent:
    return CaseEvent(
        case=case,
        kind=EventKind.OPENED,
        to_status=CaseStatus.NEW,
        detail={
            "rules": _rules_payload(assessment),
            "stage": case.stage,
            "severity": case.severity,
            "on_date": on_date.isoformat(),
        },
    )


def cases_open(
    items: list[tuple[Student, Assessment]],
    ev: engine.Evaluation,
    summary: EvaluationSummary,
    recipients: Recipients,
) -> None:
    """Open a case for each (student, assessment): a handful of bulk inserts for all of them
    (the first evaluation of a school may open hundreds), their notification rows in one more.
    Should the constraint refuse any of them (a case opened outside this run's lock),
    nothing of the batch stays and each is opened on its own instead."""
    if not items:
        return
    # One opening time, and so one escalation deadline (one calendar read), for the batch.
    opened_at = timezone.now()
    opened = (opened_at, escalation_due_at(school=items[0][0].school, opened_at=opened_at))
    try:
        with transaction.atomic():
            owners = default_owner_ids(students=[student for student, _a in items])
            cases = Case.objects.bulk_create(
                _new_case(student, assessment, ev.on_date, opened, owners[student.pk])
                for student, assessment in items
            )
            pairs = list(zip(cases, (a for _s, a in items), strict=True))
            CaseRule.objects.bulk_create(
                row for case, assessment in pairs for row in _rule_rows(case, assessment, ev)
            )
            evidence_insert(
                [row for case, a in pairs for row in evidence_rows(case, a)], new_cases=True
            )
            CaseEvent.objects.bulk_create(_opened_event(c, a, ev.on_date) for c, a in pairs)
            audit_record_many(
                audit_entry(
                    actor=None,
                    action="case.open",
                    obj=case,
                    school_id=case.student.school_id,
                    detail={"rules": _rules_payload(assessment)},
                )
                for case, assessment in pairs
            )
            notified = len(
                cases_changed(changes=[(c, "opened") for c, _a in pairs], recipients=recipients)
            )
    except IntegrityError:
        for student, assessment in items:
            _case_open(student, assessment, ev, summary, opened, recipients)
        return
    summary.notifications += notified
    summary.opened.extend(student.code for student, _a in items)


def _rule_rows(case: Case, assessment: Assessment, ev: engine.Evaluation) -> list[CaseRule]:
    return [fired_rule_row(case, match, ev.on_date) for match in assessment.matches]


def _case_open(
    student: Student,
    assessment: Assessment,
    ev: engine.Evaluation,
    summary: EvaluationSummary,
    opened: Opened,
    recipients: Recipients,
) -> None:
    """Open one case in its own savepoint: if the constraint refuses it, the rest of this
    run still stands."""
    try:
        with transaction.atomic():
            owner_id = default_owner_ids(students=[student])[student.pk]
            case = _new_case(student, assessment, ev.on_date, opened, owner_id)
            case.save()
            CaseRule.objects.bulk_create(_rule_rows(case, assessment, ev))
            evidence_insert(evidence_rows(case, assessment), new_cases=True)
            _opened_event(case, assessment, ev.on_date).save()
            audit_record(
                actor=None,
                action="case.open",
                obj=case,
                school_id=student.school_id,
                detail={"rules": _rules_payload(assessment)},
            )
            summary.notifications += len(
                case_changed(case=case, change="opened", recipients=recipients)
            )
    except IntegrityError:
        summary.unchanged.append(student.code)
        return
    summary.opened.append(student.code)


def case_reopen(
    case: Case,
    assessment: Assessment,
    ev: engine.Evaluation,
    summary: EvaluationSummary,
    recipients: Recipients,
) -> None:
    previous = {"status": case.status, "stage": case.stage, "severity": case.severity}
    opened_at = timezone.now()
    values = {
        "status": CaseStatus.NEW,
        "resolved_at": None,
        "resolved_by": None,
        "resolution_reason": "",
        "acknowledged_at": None,
        "acknowledged_by": None,
        "opened_count": case.opened_count + 1,
        "opened_at": opened_at,
        "stage": assessment.stage,
        "severity": assessment.severity,
        "context_signs": assessment.context,
        "first_evidence_on": assessment.first_evidence_on,
        "last_evidence_on": assessment.last_evidence_on,
        "persisted_since": assessment.persisted_since,
        "last_fired_on": ev.on_date,
        "evidence": assessment.evidence,
        "clean_weeks": 0,
        "resolution_suggested_at": None,
        "escalate_at": escalation_due_at(school=case.student.school, opened_at=opened_at),
        "escalated_at": None,
    }
    try:
        with transaction.atomic():
            # Compare-and-swap: only a case that is still resolved is reopened.
            if not Case.objects.filter(pk=case.pk, status=CaseStatus.RESOLVED).update(**values):
                summary.unchanged.append(case.student.code)
                return
            for name, value in values.items():
                setattr(case, name, value)
            fired = {
                (r.case_id, r.rule_id, r.rule_version): r
                for r in CaseRule.objects.filter(case=case)
            }
            _write_fired_rules(case, assessment, ev.on_date, fired)
            known = {
                (case.pk, "observation" if o else "attendance", o or a)
                for o, a in CaseEvidence.objects.filter(case=case).values_list(
                    "observation_id", "attendance_id"
                )
            }
            evidence_insert(evidence_rows(case, assessment, known))
            CaseEvent.objects.create(
                case=case,
                kind=EventKind.REOPENED,
                from_status=CaseStatus.RESOLVED,
                to_status=CaseStatus.NEW,
                detail={
                    "rules": _rules_payload(assessment),
                    "stage": case.stage,
                    "severity": case.severity,
                    "on_date": ev.on_date.isoformat(),
                },
            )
            audit_record(
                actor=None,
                action="case.reopen",
                obj=case,
                school_id=case.student.school_id,
                detail={"rules": _rules_payload(assessment)},
            )
            summary.notifications += len(
                case_changed(case=case, change="reopened", previous=previous, recipients=recipients)
            )
    except IntegrityError:
        summary.unchanged.append(case.student.code)
        return
    summary.reopened.append(case.student.code)
