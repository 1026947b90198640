"""What an evaluation writes to a case: opening (many at once, or one by one when the
constraint refuses the batch), reopening, and updating an open case; each with its evidence
rows, fired rules, timeline, audit entry and notification rows in the same transaction. A new
case gets its default owner (the assigned or designated counsellor)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
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
    severity_rank,
    stage_rank,
)
from ..notifications import Recipients, case_changed, cases_changed, escalation_due_at
from .followup import default_owner_ids
from .grading import Assessment, higher, severity_for, stage_for

if TYPE_CHECKING:
    from core.models import AuditEvent

    from .evaluation import EvaluationSummary

# The rules a case has fired, by (case id, rule id, rule version).
FiredRules = dict[tuple[int, int | None, int], CaseRule]
# The evidence a case already holds: (case id, "observation" or "attendance", record id).
KnownEvidence = set[tuple[int, str, int]]
# When a case opens and when it escalates unless acknowledged.
Opened = tuple[dt.datetime, dt.datetime | None]


def _rules_payload(assessment: Assessment) -> list[dict[str, int]]:
    return [{"rule": m.rule.pk, "version": m.rule.version} for m in assessment.matches]


def _new_evidence_rows(
    case: Case, assessment: Assessment, known: KnownEvidence
) -> list[CaseEvidence]:
    rows = []
    for (kind, record_id), (match, window) in assessment.refs().items():
        if (case.pk, kind, record_id) in known:
            continue
        rows.append(
            CaseEvidence(
                case=case,
                rule=match.rule,
                observation_id=record_id if kind == "observation" else None,
                attendance_id=record_id if kind == "attendance" else None,
                on_date=assessment.ref_dates[(kind, record_id)],
                window_start=window.start,
                window_end=window.end,
            )
        )
    return rows


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
            new.append(
                CaseRule(
                    case=case,
                    rule=match.rule,
                    rule_name=match.rule.name,
                    rule_version=match.rule.version,
                    first_fired_on=on_date,
                    last_fired_on=on_date,
                )
            )
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
            CaseEvidence.objects.bulk_create(
                row for case, a in pairs for row in _new_evidence_rows(case, a, set())
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
    return [
        CaseRule(
            case=case,
            rule=match.rule,
            rule_name=match.rule.name,
            rule_version=match.rule.version,
            first_fired_on=ev.on_date,
            last_fired_on=ev.on_date,
        )
        for match in assessment.matches
    ]


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
            CaseEvidence.objects.bulk_create(_new_evidence_rows(case, assessment, set()))
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
            CaseEvidence.objects.bulk_create(_new_evidence_rows(case, assessment, known))
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


# The columns an evaluation owns on a case: a counsellor never writes them, so the run may
# write them all back for every case it changed.
EVALUATION_COLUMNS = (
    "persisted_since",
    "first_evidence_on",
    "last_evidence_on",
    "last_fired_on",
    "evidence",
    "context_signs",
    "clean_weeks",
    "resolution_suggested_at",
    "stage",
    "severity",
)

_UPDATE_CASES_SQL = """
UPDATE alerts_case AS c SET
    persisted_since = v.persisted_since, first_evidence_on = v.first_evidence_on,
    last_evidence_on = v.last_evidence_on, last_fired_on = v.last_fired_on,
    evidence = v.evidence, context_signs = v.context_signs, clean_weeks = v.clean_weeks,
    resolution_suggested_at = v.resolution_suggested_at, stage = v.stage, severity = v.severity
FROM jsonb_to_recordset(%s::jsonb) AS v(
    id bigint, persisted_since date, first_evidence_on date, last_evidence_on date,
    last_fired_on date, evidence jsonb, context_signs jsonb, clean_weeks int,
    resolution_suggested_at timestamptz, stage text, severity text)
WHERE c.id = v.id
"""


@dataclass
class CaseWrites:
    """What one evaluation run writes to a school's open cases, gathered while it decides and
    written at the end (`write`) in a fixed number of statements, whatever the number of
    cases: the cases' own columns, the fired rules, the evidence, the timeline, the audit
    trail and the outbox."""

    on_date: dt.date
    recipients: Recipients
    cases: dict[int, Case] = field(default_factory=dict)
    rules_refired: list[int] = field(default_factory=list)
    new_rules: list[CaseRule] = field(default_factory=list)
    evidence: list[CaseEvidence] = field(default_factory=list)
    events: list[CaseEvent] = field(default_factory=list)
    audits: list[AuditEvent] = field(default_factory=list)
    changes: list[tuple[Case, str]] = field(default_factory=list)

    def change(self, case: Case, values: dict[str, Any]) -> None:
        for name, value in values.items():
            setattr(case, name, value)
        self.cases[case.pk] = case

    def audit(self, case: Case, action: str, detail: dict[str, Any]) -> None:
        self.audits.append(
            audit_entry(
                actor=None,
                action=action,
                obj=case,
                school_id=case.student.school_id,
                detail=detail,
            )
        )

    def write(self) -> int:
        """Write everything gathered; the number of notification rows."""
        if self.cases:
            _update_cases(list(self.cases.values()))
        if self.rules_refired:
            CaseRule.objects.filter(pk__in=self.rules_refired).update(last_fired_on=self.on_date)
        if self.new_rules:
            CaseRule.objects.bulk_create(self.new_rules)
        if self.evidence:
            CaseEvidence.objects.bulk_create(self.evidence, ignore_conflicts=True)
        if self.events:
            CaseEvent.objects.bulk_create(self.events)
        if self.audits:
            audit_record_many(self.audits)
        return len(cases_changed(changes=self.changes, recipients=self.recipients))


def _update_cases(cases: list[Case]) -> None:
    """The evaluation's columns of `cases` as they are in memory: one UPDATE on PostgreSQL."""
    if connection.vendor != "postgresql":
        Case.objects.bulk_update(cases, EVALUATION_COLUMNS)
        return
    rows = [
        {name: getattr(case, name) for name in EVALUATION_COLUMNS} | {"id": case.pk}
        for case in cases
    ]
    with connection.cursor() as cursor:
        cursor.execute(_UPDATE_CASES_SQL, [json.dumps(rows, cls=DjangoJSONEncoder)])


def case_update(
    case: Case,
    assessment: Assessment,
    ev: engine.Evaluation,
    summary: EvaluationSummary,
    fired: FiredRules,
    known_evidence: KnownEvidence,
    dry_run: bool,
    writes: CaseWrites,
) -> None:
    """Bring an open case whose rules fired today up to date (gathered in `writes`)."""
    # Persistence means without a break: when the run of windows firing now began after the
    # last day a rule fired for this case, the pattern stopped in between and is measured
    # afresh (the stage already reached is kept, see below).
    if assessment.persisted_since > case.last_fired_on:
        persisted_since = assessment.persisted_since
    else:
        persisted_since = min(case.persisted_since, assessment.persisted_since)
    stage = higher(case.stage, stage_for(persisted_since, ev.on_date), stage_rank)
    severity = severity_for(
        (m.rule.severity for m in assessment.matches), stage, assessment.context
    )
    values: dict[str, Any] = {
        "persisted_since": persisted_since,
        "first_evidence_on": min(case.first_evidence_on, assessment.first_evidence_on),
        "last_evidence_on": max(case.last_evidence_on, assessment.last_evidence_on),
        "last_fired_on": max(case.last_fired_on, ev.on_date),
        "evidence": assessment.evidence,
        "context_signs": assessment.context,
        "clean_weeks": 0,
        "resolution_suggested_at": None,
        "stage": stage,
        "severity": higher(case.severity, severity, severity_rank),
    }
    changed = {k: v for k, v in values.items() if getattr(case, k) != v}
    new_evidence = _new_evidence_rows(case, assessment, known_evidence)
    rules_changed = any(
        (case.pk, m.rule.pk, m.rule.version) not in fired
        or fired[(case.pk, m.rule.pk, m.rule.version)].last_fired_on < ev.on_date
        for m in assessment.matches
    )
    if not changed and not new_evidence and not rules_changed:
        summary.unchanged.append(case.student.code)
        return
    if dry_run:
        summary.would_update.append(case.student.code)
        return
    previous = {"stage": case.stage, "severity": case.severity}
    if changed:
        writes.change(case, changed)
    new_rules = []
    for match in assessment.matches:
        key = (case.pk, match.rule.pk, match.rule.version)
        existing = fired.get(key)
        if existing is None:
            new_rules.append({"rule": match.rule.pk, "version": match.rule.version})
            writes.new_rules.append(
                CaseRule(
                    case=case,
                    rule=match.rule,
                    rule_name=match.rule.name,
                    rule_version=match.rule.version,
                    first_fired_on=ev.on_date,
                    last_fired_on=ev.on_date,
                )
            )
        elif existing.last_fired_on < ev.on_date:
            writes.rules_refired.append(existing.pk)
    writes.evidence.extend(new_evidence)
    if new_evidence or new_rules:
        # One timeline entry per run that added something: the records, and any rule (or
        # rule version) that fired on this case for the first time.
        writes.events.append(
            CaseEvent(
                case=case,
                kind=EventKind.EVIDENCE,
                detail={
                    "added": len(new_evidence),
                    "observations": sum(1 for e in new_evidence if e.observation_id),
                    "attendance": sum(1 for e in new_evidence if e.attendance_id),
                    "new_rules": new_rules,
                    "on_date": ev.on_date.isoformat(),
                },
            )
        )
    stage_raised = "stage" in changed
    severity_raised = "severity" in changed
    if stage_raised:
        writes.events.append(
            CaseEvent(
                case=case,
                kind=EventKind.STAGE_CHANGE,
                detail={"from": previous["stage"], "to": case.stage},
            )
        )
    if severity_raised:
        writes.events.append(
            CaseEvent(
                case=case,
                kind=EventKind.SEVERITY_CHANGE,
                detail={"from": previous["severity"], "to": case.severity},
            )
        )
    if stage_raised or severity_raised:
        writes.audit(
            case,
            "case.raise",
            {
                "stage": case.stage,
                "severity": case.severity,
                **{f"previous_{k}": v for k, v in previous.items()},
            },
        )
        # One message per change: a stage rise carries the new severity with it.
        writes.changes.append((case, "stage_raised" if stage_raised else "severity_raised"))
    summary.updated.append(case.student.code)
