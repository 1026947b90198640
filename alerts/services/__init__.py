"""Writes to rules and cases. Views, serializers, tasks and commands call these.

One module per concern: rules, evaluation (with case_changes, what it writes to a case, and
grading, the stage and severity of a pattern), casework, follow-up (owner, review date,
reopening and concerns raised by hand), outcomes, preview and notices. Every public
name is importable from `alerts.services` as well.
"""

from __future__ import annotations

from .casework import (
    TRANSITIONS,
    CaseConflict,
    case_acknowledge,
    case_add_note,
    case_record_action,
    case_record_read,
    case_resolve,
    case_set_status,
    cases_record_list_read,
)
from .evaluation import SCHOOL_WEEK_DAYS, EvaluationSummary, evaluation_run
from .followup import (
    case_default_owner,
    case_open_by_hand,
    case_reopen_by_hand,
    case_set_owner,
    case_set_review,
    school_counsellors,
)
from .grading import PERSISTENT_MONTHS, PRE_WITHDRAWAL_MONTHS, add_months, severity_for, stage_for
from .notices import notices_mark_read
from .outcomes import OutcomeImport, outcome_record, outcomes_import
from .preview import PreviewStudent, RulePreview, rule_preview, rule_preview_record_read
from .rules import RULE_EDITABLE_FIELDS, rule_create, rule_update, rules_install_defaults

__all__ = [
    "PERSISTENT_MONTHS",
    "PRE_WITHDRAWAL_MONTHS",
    "RULE_EDITABLE_FIELDS",
    "SCHOOL_WEEK_DAYS",
    "TRANSITIONS",
    "CaseConflict",
    "EvaluationSummary",
    "OutcomeImport",
    "PreviewStudent",
    "RulePreview",
    "add_months",
    "case_acknowledge",
    "case_add_note",
    "case_default_owner",
    "case_open_by_hand",
    "case_record_action",
    "case_record_read",
    "case_reopen_by_hand",
    "case_resolve",
    "case_set_owner",
    "case_set_review",
    "case_set_status",
    "cases_record_list_read",
    "evaluation_run",
    "notices_mark_read",
    "outcome_record",
    "outcomes_import",
    "rule_create",
    "rule_preview",
    "rule_preview_record_read",
    "rule_update",
    "rules_install_defaults",
    "school_counsellors",
    "severity_for",
    "stage_for",
]
