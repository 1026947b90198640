"""What is concluded from the records: rules, cases and their timeline, notifications.

The invariants live in the database so that a race cannot break them: at most one open case
per student (a partial unique constraint), one notification per case change and recipient,
one evidence row per record and case. Writes go through alerts/services/ and
alerts/notifications/; nothing here has business logic in save() or signals.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.screening import NOTE_MAX_LENGTH, CleanCharField, CleanTextField, screen_note
from schools.models import AttendanceRecord, Observation, School, Student
from schools.signs import Sign


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


# Severity is compared and raised "one step": the order of the choices is the scale.
SEVERITY_ORDER: tuple[str, ...] = tuple(Severity.values)


def severity_rank(value: str) -> int:
    return SEVERITY_ORDER.index(value)


def severity_step_up(value: str, steps: int = 1) -> str:
    return SEVERITY_ORDER[min(severity_rank(value) + steps, len(SEVERITY_ORDER) - 1)]


class RuleKind(models.TextChoices):
    SIGN_PATTERN = "sign_pattern", "Sign pattern"
    ATTENDANCE_RATE = "attendance_rate", "Attendance rate"


class CountUnit(models.TextChoices):
    OBSERVATIONS = "observations", "Observations"
    DAYS = "days", "Days with a sign"


class WarningRule(models.Model):
    """A condition that must hold in each of the last N consecutive windows of school days.

    `version` is raised by alerts.services.rule_update on every edit, so a case can say which
    version of a rule it fired on. `key` names a default rule (installed for every school);
    a rule a school admin adds has an empty key.
    """

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="warning_rules")
    key = models.SlugField(max_length=40, blank=True, help_text="Set for a default rule.")
    name = CleanCharField(max_length=80)
    description = CleanTextField(blank=True, validators=[MaxLengthValidator(1000)])
    enabled = models.BooleanField(default=True)
    kind = models.CharField(max_length=20, choices=RuleKind.choices)
    # Sign codes (schools.signs.Sign) the rule counts. A JSON list rather than an ArrayField
    # so that the embedded SQLite run works too.
    signs = models.JSONField(default=list, blank=True)
    count_unit = models.CharField(
        max_length=16,
        choices=CountUnit.choices,
        default=CountUnit.OBSERVATIONS,
        help_text="Count observations, or school days on which a sign was seen.",
    )
    # Register marks count as signs: a late mark is LATE, an absence is ABSENCE.
    use_register = models.BooleanField(
        default=True, help_text="Count late marks as LATE and absences as ABSENCE."
    )
    window_days = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text="School days per window; 5 is a school week.",
    )
    min_events_per_window = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1)]
    )
    min_distinct_signs = models.PositiveSmallIntegerField(
        default=1, help_text="Different signs seen over all the windows together."
    )
    min_distinct_observers = models.PositiveSmallIntegerField(
        default=1, help_text="Different members of staff over all the windows together."
    )
    consecutive_windows = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(26)],
        help_text="The condition must hold in each of this many windows in a row.",
    )
    attendance_threshold = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Attendance-rate rules: fires below this percentage of possible sessions.",
    )
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    SCHOOL_PATH = "school"

    class Meta:
        ordering = ["school", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "key"], condition=~Q(key=""), name="default_rule_once_per_school"
            ),
            models.UniqueConstraint(fields=["school", "name"], name="rule_name_unique_in_school"),
            models.CheckConstraint(
                condition=Q(window_days__gte=1, window_days__lte=30), name="rule_window_days_range"
            ),
            models.CheckConstraint(
                condition=Q(consecutive_windows__gte=1, consecutive_windows__lte=26),
                name="rule_consecutive_windows_range",
            ),
            models.CheckConstraint(
                condition=Q(min_events_per_window__gte=1), name="rule_min_events_positive"
            ),
            models.CheckConstraint(
                condition=~Q(kind=RuleKind.ATTENDANCE_RATE)
                | Q(attendance_threshold__gt=0, attendance_threshold__lte=100),
                name="attendance_rule_has_threshold",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=RuleKind.values), name="rule_kind_is_known"
            ),
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="rule_severity_is_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    def clean(self) -> None:
        unknown = sorted(set(self.signs or ()) - set(Sign.values))
        if unknown:
            raise ValidationError(
                {
                    "signs": f"Unknown sign code(s): {', '.join(unknown)}. "
                    f"Known codes: {', '.join(Sign.values)}."
                }
            )
        if self.kind == RuleKind.SIGN_PATTERN and not self.signs:
            raise ValidationError({"signs": "A sign-pattern rule counts at least one sign."})
        if self.kind == RuleKind.ATTENDANCE_RATE and self.attendance_threshold is None:
            raise ValidationError(
                {"attendance_threshold": "An attendance rule needs a threshold (e.g. 90)."}
            )

    @property
    def span_days(self) -> int:
        """School days the rule looks at: its windows back to back."""
        return self.window_days * self.consecutive_windows


class CaseStatus(models.TextChoices):
    NEW = "new", "New"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    IN_PROGRESS = "in_progress", "In progress"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"


OPEN_STATUSES = (
    CaseStatus.NEW,
    CaseStatus.ACKNOWLEDGED,
    CaseStatus.IN_PROGRESS,
    CaseStatus.MONITORING,
)


class Stage(models.TextChoices):
    WATCH = "watch", "Watch"
    PRE_WITHDRAWAL = "pre_withdrawal", "Pre-withdrawal (3 months)"
    PERSISTENT = "persistent", "Persistent (6 months)"


STAGE_ORDER: tuple[str, ...] = tuple(Stage.values)


def stage_rank(value: str) -> int:
    return STAGE_ORDER.index(value)


class Case(models.Model):
    """One student's case. At most one is open per student; a resolved case is reopened (the
    same row, `opened_count` raised) only by evidence dated after its resolution."""

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="cases")
    status = models.CharField(max_length=16, choices=CaseStatus.choices, default=CaseStatus.NEW)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.WATCH)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    # Context signs (bullying, setback, family strain) recorded in the recent weeks.
    context_signs = models.JSONField(default=list, blank=True)
    first_evidence_on = models.DateField()
    last_evidence_on = models.DateField()
    # The first school day of the pattern that opened the case; stage is measured from here.
    persisted_since = models.DateField()
    # The evaluation date on which a rule last fired for this student.
    last_fired_on = models.DateField()
    # The latest evidence, window by window, per rule (what the counsellor reads).
    evidence = models.JSONField(default=dict, blank=True)
    clean_weeks = models.PositiveSmallIntegerField(
        default=0, help_text="Whole school weeks since a rule last fired."
    )
    resolution_suggested_at = models.DateTimeField(null=True, blank=True)
    opened_count = models.PositiveSmallIntegerField(default=1)
    opened_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_reason = CleanTextField(
        blank=True, validators=[MaxLengthValidator(NOTE_MAX_LENGTH), screen_note]
    )
    # Escalation (alerts.notifications.escalation): when an unacknowledged case is due to
    # escalate, and when it did. Columns scanned by beat, never broker timers.
    escalate_at = models.DateTimeField(null=True, blank=True, db_index=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    SCHOOL_PATH = "student__school"

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["student"],
                condition=~Q(status=CaseStatus.RESOLVED),
                name="one_open_case_per_student",
            ),
            models.CheckConstraint(
                condition=Q(status__in=CaseStatus.values), name="case_status_is_known"
            ),
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="case_stage_is_known"),
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="case_severity_is_known"
            ),
            models.CheckConstraint(
                condition=Q(status=CaseStatus.RESOLVED, resolved_at__isnull=False)
                | (~Q(status=CaseStatus.RESOLVED) & Q(resolved_at__isnull=True)),
                name="case_resolved_iff_resolved_at",
            ),
            models.CheckConstraint(
                condition=Q(last_evidence_on__gte=models.F("first_evidence_on")),
                name="case_evidence_dates_ordered",
            ),
        ]
        indexes = [models.Index(fields=["status", "stage", "severity"])]

    def __str__(self) -> str:
        return f"Case {self.pk} {self.student.code} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status != CaseStatus.RESOLVED


class CaseRule(models.Model):
    """A rule that fired for a case, at one version of the rule."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="fired_rules")
    rule = models.ForeignKey(
        WarningRule, null=True, on_delete=models.SET_NULL, related_name="firings"
    )
    rule_name = models.CharField(max_length=80)
    rule_version = models.PositiveIntegerField()
    first_fired_on = models.DateField()
    last_fired_on = models.DateField()

    SCHOOL_PATH = "case__student__school"

    class Meta:
        ordering = ["first_fired_on", "rule_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "rule", "rule_version"], name="case_rule_version_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_name} v{self.rule_version}"


class CaseEvidence(models.Model):
    """A record that satisfied a rule window for a case. It keeps the record from the
    retention purge while the case is open."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="evidence_rows")
    rule = models.ForeignKey(WarningRule, null=True, on_delete=models.SET_NULL, related_name="+")
    observation = models.ForeignKey(
        Observation, null=True, blank=True, on_delete=models.CASCADE, related_name="case_evidence"
    )
    attendance = models.ForeignKey(
        AttendanceRecord,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="case_evidence",
    )
    on_date = models.DateField()
    window_start = models.DateField()
    window_end = models.DateField()
    added_at = models.DateTimeField(default=timezone.now)

    SCHOOL_PATH = "case__student__school"

    class Meta:
        ordering = ["on_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(observation__isnull=False, attendance__isnull=True)
                | Q(observation__isnull=True, attendance__isnull=False),
                name="evidence_is_one_record",
            ),
            models.UniqueConstraint(
                fields=["case", "observation"],
                condition=Q(observation__isnull=False),
                name="observation_evidence_once",
            ),
            models.UniqueConstraint(
                fields=["case", "attendance"],
                condition=Q(attendance__isnull=False),
                name="attendance_evidence_once",
            ),
        ]

    def __str__(self) -> str:
        return f"evidence {self.on_date} for case {self.case_id}"


class EventKind(models.TextChoices):
    OPENED = "opened", "Opened"
    REOPENED = "reopened", "Reopened"
    STATUS_CHANGE = "status_change", "Status change"
    NOTE = "note", "Note"
    ACTION = "action", "Action taken"
    EVIDENCE = "evidence", "Evidence added"
    STAGE_CHANGE = "stage_change", "Stage raised"
    SEVERITY_CHANGE = "severity_change", "Severity raised"
    RESOLUTION_SUGGESTED = "resolution_suggested", "Resolution suggested"
    ESCALATION = "escalation", "Escalation"


class ActionType(models.TextChoices):
    """The documented responses (WARNING_SIGNS.md, sources 000, 002, 004)."""

    TALK_WITH_FAMILY = "talk_with_family", "Talk with the family"
    MENTAL_HEALTH_REFERRAL = "mental_health_referral", "Referral to a mental-health professional"
    REINTEGRATION_PLAN = "reintegration_plan", "Gradual reintegration plan"
    THERAPY_REFERRAL = "therapy_referral", "CBT or family-therapy referral"
    OTHER = "other", "Other"


class CaseEvent(models.Model):
    """One entry of a case's timeline. Append-only: services create rows and never update or
    delete them (the admin shows them read-only)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    # Null when the service itself acted (an evaluation run, an escalation).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    text = CleanTextField(blank=True, validators=[MaxLengthValidator(NOTE_MAX_LENGTH), screen_note])
    action_type = models.CharField(max_length=32, choices=ActionType.choices, blank=True)
    from_status = models.CharField(max_length=16, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=CaseStatus.choices, blank=True)
    # Codes and numbers only (rule ids, stage, severity, counts): never free text.
    detail = models.JSONField(default=dict, blank=True)

    SCHOOL_PATH = "case__student__school"

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EventKind.values), name="case_event_kind_is_known"
            ),
            models.CheckConstraint(
                condition=~Q(kind=EventKind.ACTION) | Q(action_type__in=ActionType.values),
                name="action_event_has_action_type",
            ),
            models.CheckConstraint(
                condition=~Q(kind=EventKind.STATUS_CHANGE)
                | (~Q(from_status="") & ~Q(to_status="")),
                name="status_event_has_statuses",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"


class NotificationKind(models.TextChoices):
    OPENED = "opened", "Case opened"
    STAGE_RAISED = "stage_raised", "Stage raised"
    SEVERITY_RAISED = "severity_raised", "Severity raised"
    ESCALATED = "escalated", "Escalated"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Notification(models.Model):
    """The outbox: written in the same transaction as the case change, then delivered.

    `change_key` names the change ("opened:1", "stage:persistent:1", ...), so one case change
    yields at most one notification per recipient and kind, however often evaluation runs.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    change_key = models.CharField(max_length=60)
    # What the message says: the stage and severity at the time of the change.
    stage = models.CharField(max_length=16, choices=Stage.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    status = models.CharField(
        max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    SCHOOL_PATH = "case__student__school"

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "recipient", "kind", "change_key"],
                name="one_notification_per_change_and_recipient",
            ),
            models.CheckConstraint(
                condition=Q(status__in=NotificationStatus.values),
                name="notification_status_is_known",
            ),
            models.CheckConstraint(
                condition=~Q(status=NotificationStatus.SENT) | Q(sent_at__isnull=False),
                name="sent_notification_has_sent_at",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.change_key} to {self.recipient_id} ({self.status})"


class DeliveryAttempt(models.Model):
    """One try at delivering a notification, successful or not."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="delivery_attempts"
    )
    channel = models.CharField(max_length=20, default="email")
    at = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField()
    error = models.TextField(blank=True)

    SCHOOL_PATH = "notification__case__student__school"

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'failed'}"


class Notice(models.Model):
    """An in-app notice in a user's inbox; one per delivered notification."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notices")
    notification = models.OneToOneField(
        Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="notice"
    )
    text = models.CharField(max_length=200)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    SCHOOL_PATH = "case__student__school"

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.text


class EvaluationState(models.Model):
    """What the last evaluation of a school saw, so that the next one on the same date
    re-evaluates only the students whose records changed since (alerts/incremental.py)."""

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="+")
    on_date = models.DateField(help_text="The date the school was last evaluated as on.")
    # When that run began reading (before it took its snapshot of the records).
    started_at = models.DateTimeField()
    # A digest of the rules, the calendar and the active students it evaluated with: any
    # change of them makes the next run a full one.
    fingerprint = models.CharField(max_length=64)

    SCHOOL_PATH = "school"

    def __str__(self) -> str:
        return f"{self.school} evaluated as on {self.on_date}"
