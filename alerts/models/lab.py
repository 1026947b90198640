"""The rule lab's records: students' outcomes (the ground a backtest stands on) and kept
backtests."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from schools.models import School, Student

from .cases import Case
from .rules import WarningRule


class OutcomeKind(models.TextChoices):
    """What turned out to be true of a student (recorded when a case is resolved, or imported
    for past students). docs/RULES.md says how a backtest reads each one."""

    CONCERN_CONFIRMED = "concern_confirmed", _("Concern confirmed and supported")
    MENTAL_HEALTH_REFERRAL = "mental_health_referral", _("Referred to a mental-health professional")
    NO_CONCERN = "no_concern", _("No concern found")
    LEFT_SCHOOL = "left_school", _("Student left the school")
    OTHER = "other", _("Other")


# A backtest counts a flag as right when the student's outcome is positive and wrong when it
# is negative; "other" says nothing either way and is not counted.
POSITIVE_OUTCOMES = frozenset(
    {OutcomeKind.CONCERN_CONFIRMED, OutcomeKind.MENTAL_HEALTH_REFERRAL, OutcomeKind.LEFT_SCHOOL}
)
NEGATIVE_OUTCOMES = frozenset({OutcomeKind.NO_CONCERN})


class OutcomeSource(models.TextChoices):
    CASE = "case", _("Case resolution")
    IMPORT = "import", pgettext_lazy("source of a record", "Import")


class Outcome(models.Model):
    """One outcome of one student, with its date. Written by alerts.outcomes only."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="outcomes")
    kind = models.CharField(max_length=32, choices=OutcomeKind.choices)
    on_date = models.DateField()
    source = models.CharField(max_length=8, choices=OutcomeSource.choices)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="outcomes"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    SCHOOL_PATH = "student__school"

    class Meta:
        ordering = ["on_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=OutcomeKind.values),
                name="outcome_kind_is_known",
                violation_error_message=_("Unknown outcome."),
            ),
            models.CheckConstraint(
                condition=Q(source__in=OutcomeSource.values),
                name="outcome_source_is_known",
                violation_error_message=_("Unknown source of an outcome."),
            ),
            # A second import of the same file adds nothing.
            models.UniqueConstraint(
                fields=["student", "kind", "on_date"],
                condition=Q(source="import"),
                name="imported_outcome_once",
                violation_error_message=_("This outcome is already recorded for the student."),
            ),
        ]
        indexes = [models.Index(fields=["student", "on_date"])]

    def __str__(self) -> str:
        return f"{self.on_date} {self.kind}"


class BacktestStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("backtest status", "Queued")
    RUNNING = "running", pgettext_lazy("backtest status", "Running")
    DONE = "done", pgettext_lazy("backtest status", "Done")
    FAILED = "failed", pgettext_lazy("backtest status", "Failed")


class BacktestRun(models.Model):
    """A backtest (with its sweep, if any) of one rule as it was measured: kept per rule
    version, period and settings (`key` is a digest of them and of the school's outcomes), so
    asking again answers from here at once. Written by alerts.backtest only."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="backtests")
    rule = models.ForeignKey(
        WarningRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="backtests"
    )
    rule_version = models.PositiveIntegerField(null=True, blank=True)
    key = models.CharField(max_length=64)
    # Codes and numbers only: the rule as measured, the period, the settings.
    params = models.JSONField(default=dict)
    status = models.CharField(
        max_length=8, choices=BacktestStatus.choices, default=BacktestStatus.QUEUED
    )
    done_steps = models.PositiveIntegerField(default=0)
    total_steps = models.PositiveIntegerField(default=1)
    result = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    SCHOOL_PATH = "school"

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "key"],
                name="backtest_once_per_key",
                violation_error_message=_("This backtest is already kept."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=BacktestStatus.values),
                name="backtest_status_is_known",
                violation_error_message=_("Unknown backtest status."),
            ),
        ]

    def __str__(self) -> str:
        return f"Backtest {self.pk} {self.status}"

    @property
    def progress(self) -> float:
        return min(self.done_steps / self.total_steps, 1.0) if self.total_steps else 1.0
