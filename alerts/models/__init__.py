"""What is concluded from the records: rules, cases and their timeline, notifications.

The invariants live in the database so that a race cannot break them: at most one open case
per student (a partial unique constraint), one notification per case change and recipient,
one evidence row per record and case. Writes go through alerts/services/ and
alerts/notifications/; nothing here has business logic in save() or signals.

One module per concern: rules (with the severity scale), cases (with the stage scale,
evidence and timeline), notifications (outbox, attempts, notices) and the rule lab
(outcomes, kept backtests); every name is importable
from `alerts.models`.
"""

from __future__ import annotations

from .cases import (
    OPEN_STATUSES,
    STAGE_ORDER,
    ActionType,
    Case,
    CaseEvent,
    CaseEvidence,
    CaseOrigin,
    CaseRule,
    CaseStatus,
    EventKind,
    Stage,
    stage_rank,
)
from .evaluation import EvaluationState
from .lab import (
    NEGATIVE_OUTCOMES,
    POSITIVE_OUTCOMES,
    BacktestRun,
    BacktestStatus,
    Outcome,
    OutcomeKind,
    OutcomeSource,
)
from .notifications import (
    DeliveryAttempt,
    Notice,
    Notification,
    NotificationKind,
    NotificationStatus,
)
from .rules import (
    SEVERITY_ORDER,
    CountUnit,
    RuleKind,
    Severity,
    WarningRule,
    severity_rank,
    severity_step_up,
)

__all__ = [
    "NEGATIVE_OUTCOMES",
    "OPEN_STATUSES",
    "POSITIVE_OUTCOMES",
    "SEVERITY_ORDER",
    "STAGE_ORDER",
    "ActionType",
    "BacktestRun",
    "BacktestStatus",
    "Case",
    "CaseEvent",
    "CaseEvidence",
    "CaseOrigin",
    "CaseRule",
    "CaseStatus",
    "CountUnit",
    "DeliveryAttempt",
    "EvaluationState",
    "EventKind",
    "Notice",
    "Notification",
    "NotificationKind",
    "NotificationStatus",
    "Outcome",
    "OutcomeKind",
    "OutcomeSource",
    "RuleKind",
    "Severity",
    "Stage",
    "WarningRule",
    "severity_rank",
    "severity_step_up",
    "stage_rank",
]
