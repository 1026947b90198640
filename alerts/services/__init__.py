"""Writes to rules and cases. Views, serializers, tasks and commands call these.

One module per concern: rules, evaluation (with case_changes, what it writes to a case, and
grading, the stage and severity of a pattern), casework, preview and notices. Every public
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
)
from .evaluation import SCHOOL_WEEK_DAYS, EvaluationSummary, evaluation_run
from .grading import PERSISTENT_MONTHS, PRE_WITHDRAWAL_MONTHS, add_months, severity_for, stage_for
from .notices import notices_mark_read
from .preview import PreviewStudent, RulePreview, rule_preview
from .rules import RULE_EDITABLE_FIELDS, rule_create, rule_update, rules_install_defaults

__all__ = [
    "PERSISTENT_MONTHS",
    "PRE_WITHDRAWAL_MONTHS",
    "RULE_EDITABLE_FIELDS",
    "SCHOOL_WEEK_DAYS",
    "TRANSITIONS",
    "CaseConflict",
    "EvaluationSummary",
    "PreviewStudent",
    "RulePreview",
    "add_months",
    "case_acknowledge",
    "case_add_note",
    "case_record_action",
    "case_record_read",
    "case_resolve",
    "case_set_status",
    "evaluation_run",
    "notices_mark_read",
    "rule_create",
    "rule_preview",
    "rule_update",
    "rules_install_defaults",
    "severity_for",
    "stage_for",
]
