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
    # Fires when other rules of the school fire together on the same school day (all of
    # them, or at least `min_components`): register absences and teachers' observations
    # corroborating each other. docs/RULES.md says when to use it.
    COMPOSITE = "composite", "Composite (other rules together)"


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
    # Composite rules: the ids of the rules (of the same school, not composite themselves)
    # that must fire together, and how many of them at least (empty: all of them).
    components = models.JSONField(
        default=list, blank=True, help_text="Composite rules: the rules that must fire together."
    )
    min_components = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Composite rules: fires when at least this many of them fire (empty: all).",
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
                fields=["school", "key"],
                condition=~Q(key=""),
                name="default_rule_once_per_school",
                violation_error_message="This school already has that default rule.",
            ),
            models.UniqueConstraint(
                fields=["school", "name"],
                name="rule_name_unique_in_school",
                violation_error_message="This school already has a rule of that name.",
            ),
            models.CheckConstraint(
                condition=Q(window_days__gte=1, window_days__lte=30),
                name="rule_window_days_range",
                violation_error_message="A window is 1 to 30 school days.",
            ),
            models.CheckConstraint(
                condition=Q(consecutive_windows__gte=1, consecutive_windows__lte=26),
                name="rule_consecutive_windows_range",
                violation_error_message="A rule looks at 1 to 26 windows in a row.",
            ),
            models.CheckConstraint(
                condition=Q(min_events_per_window__gte=1),
                name="rule_min_events_positive",
                violation_error_message="Each window needs at least 1 event.",
            ),
            models.CheckConstraint(
                condition=~Q(kind=RuleKind.ATTENDANCE_RATE)
                | Q(attendance_threshold__gt=0, attendance_threshold__lte=100),
                name="attendance_rule_has_threshold",
                violation_error_message=(
                    "An attendance rule fires below a percentage of possible sessions: give a "
                    "threshold above 0 and at most 100 (e.g. 90)."
                ),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=RuleKind.values),
                name="rule_kind_is_known",
                violation_error_message="Unknown kind of rule.",
            ),
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values),
                name="rule_severity_is_known",
                violation_error_message="Unknown severity.",
            ),
            models.CheckConstraint(
                condition=Q(min_components__isnull=True) | Q(min_components__gte=1),
                name="rule_min_components_positive",
                violation_error_message="A composite rule needs at least 1 of its rules to fire.",
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
        if self.kind == RuleKind.COMPOSITE:
            self._clean_components()

    def _clean_components(self) -> None:
        ids = self.components
        if not isinstance(ids, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in ids
        ):
            raise ValidationError({"components": "A list of rule ids."})
        if len(set(ids)) != len(ids):
            raise ValidationError({"components": "A rule is named twice."})
        if len(ids) < 2:
            raise ValidationError({"components": "A composite rule combines at least 2 rules."})
        found = dict(
            WarningRule.objects.filter(pk__in=ids, school_id=self.school_id).values_list(
                "pk", "kind"
            )
        )
        unknown = [i for i in ids if i not in found]
        if unknown:
            raise ValidationError(
                {"components": f"No rule {', '.join(map(str, unknown))} at this school."}
            )
        if self.pk in found or any(k == RuleKind.COMPOSITE for k in found.values()):
            raise ValidationError(
                {"components": "A composite rule combines plain rules, not composite ones."}
            )
        if self.min_components is not None and self.min_components > len(ids):
            raise ValidationError(
                {"min_components": f"At most {len(ids)}: the number of rules it combines."}
            )

    @property
    def needed_components(self) -> int:
        """Composite rules: how many of the components must fire together."""
        return self.min_components or len(self.components or ())

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
                violation_error_message="This student already has an open case.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=CaseStatus.values),
                name="case_status_is_known",
                violation_error_message="Unknown case status.",
            ),
            models.CheckConstraint(
                condition=Q(stage__in=Stage.values),
                name="case_stage_is_known",
                violation_error_message="Unknown case stage.",
            ),
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values),
                name="case_severity_is_known",
                violation_error_message="Unknown severity.",
            ),
            models.CheckConstraint(
                condition=Q(status=CaseStatus.RESOLVED, resolved_at__isnull=False)
                | (~Q(status=CaseStatus.RESOLVED) & Q(resolved_at__isnull=True)),
                name="case_resolved_iff_resolved_at",
                violation_error_message="A resolved case, and only one, has a resolution time.",
            ),
            models.CheckConstraint(
                condition=Q(last_evidence_on__gte=models.F("first_evidence_on")),
                name="case_evidence_dates_ordered",
                violation_error_message="The last evidence date cannot be before the first.",
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
                fields=["case", "rule", "rule_version"],
                name="case_rule_version_once",
                violation_error_message="This rule version is already on the case.",
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
                violation_error_message="An evidence row is one observation or one register mark.",
            ),
            models.UniqueConstraint(
                fields=["case", "observation"],
                condition=Q(observation__isnull=False),
                name="observation_evidence_once",
                violation_error_message="This observation is already evidence on the case.",
            ),
            models.UniqueConstraint(
                fields=["case", "attendance"],
                condition=Q(attendance__isnull=False),
                name="attendance_evidence_once",
                violation_error_message="This register mark is already evidence on the case.",
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
                condition=Q(kind__in=EventKind.values),
                name="case_event_kind_is_known",
                violation_error_message="Unknown kind of timeline entry.",
            ),
            models.CheckConstraint(
                condition=~Q(kind=EventKind.ACTION) | Q(action_type__in=ActionType.values),
                name="action_event_has_action_type",
                violation_error_message="An action names one of the documented responses.",
            ),
            models.CheckConstraint(
                condition=~Q(kind=EventKind.STATUS_CHANGE)
                | (~Q(from_status="") & ~Q(to_status="")),
                name="status_event_has_statuses",
                violation_error_message="A status change names the status before and after.",
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
                violation_error_message="This change was already notified to this person.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=NotificationStatus.values),
                name="notification_status_is_known",
                violation_error_message="Unknown notification status.",
            ),
            models.CheckConstraint(
                condition=~Q(status=NotificationStatus.SENT) | Q(sent_at__isnull=False),
                name="sent_notification_has_sent_at",
                violation_error_message="A sent notification has the time it was sent.",
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


class OutcomeKind(models.TextChoices):
    """What turned out to be true of a student (recorded when a case is resolved, or imported
    for past students). docs/RULES.md says how a backtest reads each one."""

    CONCERN_CONFIRMED = "concern_confirmed", "Concern confirmed and supported"
    MENTAL_HEALTH_REFERRAL = "mental_health_referral", "Referred to a mental-health professional"
    NO_CONCERN = "no_concern", "No concern found"
    LEFT_SCHOOL = "left_school", "Student left the school"
    OTHER = "other", "Other"


# A backtest counts a flag as right when the student's outcome is positive and wrong when it
# is negative; "other" says nothing either way and is not counted.
POSITIVE_OUTCOMES = frozenset(
    {OutcomeKind.CONCERN_CONFIRMED, OutcomeKind.MENTAL_HEALTH_REFERRAL, OutcomeKind.LEFT_SCHOOL}
)
NEGATIVE_OUTCOMES = frozenset({OutcomeKind.NO_CONCERN})


class OutcomeSource(models.TextChoices):
    CASE = "case", "Case resolution"
    IMPORT = "import", "Import"


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
                violation_error_message="Unknown outcome.",
            ),
            models.CheckConstraint(
                condition=Q(source__in=OutcomeSource.values),
                name="outcome_source_is_known",
                violation_error_message="Unknown source of an outcome.",
            ),
            # A second import of the same file adds nothing.
            models.UniqueConstraint(
                fields=["student", "kind", "on_date"],
                condition=Q(source="import"),
                name="imported_outcome_once",
                violation_error_message="This outcome is already recorded for the student.",
            ),
        ]
        indexes = [models.Index(fields=["student", "on_date"])]

    def __str__(self) -> str:
        return f"{self.on_date} {self.kind}"


class BacktestStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


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
                violation_error_message="This backtest is already kept.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=BacktestStatus.values),
                name="backtest_status_is_known",
                violation_error_message="Unknown backtest status.",
            ),
        ]

    def __str__(self) -> str:
        return f"Backtest {self.pk} {self.status}"

    @property
    def progress(self) -> float:
        return min(self.done_steps / self.total_steps, 1.0) if self.total_steps else 1.0
