"""What an evaluation writes to the open cases whose rules fired again: each case's changes
are gathered while the run decides (case_update) and written at the end in a fixed number of
statements, whatever the number of cases (CaseWrites.write): the cases' own columns in one
UPDATE, the fired rules, the evidence, the timeline, the audit trail and the outbox."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from core.audit import audit_entry, audit_record_many

from .. import engine
from ..models import (
    Case,
    CaseEvent,
    CaseRule,
    EventKind,
    severity_rank,
    stage_rank,
)
from ..notifications import Recipients, cases_changed
from .case_changes import FiredRules, fired_rule_row
from .evidence import EvidenceRow, KnownEvidence, evidence_insert, evidence_rows
from .grading import Assessment, higher, severity_for, stage_for

if TYPE_CHECKING:
    from core.models import AuditEvent

    from .evaluation import EvaluationSummary


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
    evidence: list[EvidenceRow] = field(default_factory=list)
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
            evidence_insert(self.evidence)
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
    new_evidence = evidence_rows(case, assessment, known_evidence)
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
            writes.new_rules.append(fired_rule_row(case, match, ev.on_date))
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
