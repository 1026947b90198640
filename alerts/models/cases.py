"""Cases, the rules that fired on them, their evidence and their timeline; the stage scale."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.screening import NOTE_MAX_LENGTH, CleanTextField, screen_note
from schools.models import AttendanceRecord, Observation, Student

from .rules import Severity, WarningRule


class CaseStatus(models.TextChoices):
    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_PROGRESS = "in_progress", _("In progress")
    MONITORING = "monitoring", _("Monitoring")
    RESOLVED = "resolved", _("Resolved")


OPEN_STATUSES = (
    CaseStatus.NEW,
    CaseStatus.ACKNOWLEDGED,
    CaseStatus.IN_PROGRESS,
    CaseStatus.MONITORING,
)


class Stage(models.TextChoices):
    WATCH = "watch", _("Watch")
    PRE_WITHDRAWAL = "pre_withdrawal", _("Pre-withdrawal (3 months)")
    PERSISTENT = "persistent", _("Persistent (6 months)")


STAGE_ORDER: tuple[str, ...] = tuple(Stage.values)


def stage_rank(value: str) -> int:
    return STAGE_ORDER.index(value)


class CaseOrigin(models.TextChoices):
    RULE = "rule", _("Flagged by a rule")
    PERSON = "person", _("Raised by a person")


class Case(models.Model):
    """One student's case. At most one is open per student; a resolved case is reopened (the
    same row, `opened_count` raised) by evidence dated after its resolution, or by a
    counsellor with a reason. A counsellor may also open one by hand (`origin` "person") for
    what no rule can see; evaluation then updates that case rather than opening a second."""

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="cases")
    origin = models.CharField(max_length=8, choices=CaseOrigin.choices, default=CaseOrigin.RULE)
    # The counsellor who follows the case up: reminded of its review date, shown in the list.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_cases",
    )
    # The school day the owner means to look at the case again; the reminder (in-app and
    # e-mail) is written by a beat scan of this column, never a broker timer.
    review_on = models.DateField(null=True, blank=True, db_index=True)
    # The review date a reminder was last written for: the scan's compare-and-swap, so one
    # review date reminds once however often beat runs.
    review_reminded_for = models.DateField(null=True, blank=True)
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
        default=0, help_text=_("Whole school weeks since a rule last fired.")
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
                violation_error_message=_("This student already has an open case."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=CaseStatus.values),
                name="case_status_is_known",
                violation_error_message=_("Unknown case status."),
            ),
            models.CheckConstraint(
                condition=Q(stage__in=Stage.values),
                name="case_stage_is_known",
                violation_error_message=_("Unknown case stage."),
            ),
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values),
                name="case_severity_is_known",
                violation_error_message=_("Unknown severity."),
            ),
            models.CheckConstraint(
                condition=Q(status=CaseStatus.RESOLVED, resolved_at__isnull=False)
                | (~Q(status=CaseStatus.RESOLVED) & Q(resolved_at__isnull=True)),
                name="case_resolved_iff_resolved_at",
                violation_error_message=_("A resolved case, and only one, has a resolution time."),
            ),
            models.CheckConstraint(
                condition=Q(last_evidence_on__gte=models.F("first_evidence_on")),
                name="case_evidence_dates_ordered",
                violation_error_message=_("The last evidence date cannot be before the first."),
            ),
            models.CheckConstraint(
                condition=Q(origin__in=CaseOrigin.values),
                name="case_origin_is_known",
                violation_error_message=_("Unknown origin of a case."),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "stage", "severity"]),
            models.Index(fields=["owner", "status"]),
        ]

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
                violation_error_message=_("This rule version is already on the case."),
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
                violation_error_message=_(
                    "An evidence row is one observation or one register mark."
                ),
            ),
            models.UniqueConstraint(
                fields=["case", "observation"],
                condition=Q(observation__isnull=False),
                name="observation_evidence_once",
                violation_error_message=_("This observation is already evidence on the case."),
            ),
            models.UniqueConstraint(
                fields=["case", "attendance"],
                condition=Q(attendance__isnull=False),
                name="attendance_evidence_once",
                violation_error_message=_("This register mark is already evidence on the case."),
            ),
        ]

    def __str__(self) -> str:
        return f"evidence {self.on_date} for case {self.case_id}"


class EventKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    REOPENED = "reopened", _("Reopened")
    STATUS_CHANGE = "status_change", _("Status change")
    NOTE = "note", _("Note")
    ACTION = "action", _("Action taken")
    EVIDENCE = "evidence", _("Evidence added")
    STAGE_CHANGE = "stage_change", _("Stage raised")
    SEVERITY_CHANGE = "severity_change", _("Severity raised")
    RESOLUTION_SUGGESTED = "resolution_suggested", _("Resolution suggested")
    ESCALATION = "escalation", _("Escalation")
    OWNER_CHANGE = "owner_change", _("Owner changed")
    REVIEW_SET = "review_set", _("Review date set")
    REVIEW_DUE = "review_due", _("Review due")


class ActionType(models.TextChoices):
    """The documented responses (WARNING_SIGNS.md, sources 000, 002, 004)."""

    TALK_WITH_FAMILY = "talk_with_family", _("Talk with the family")
    MENTAL_HEALTH_REFERRAL = "mental_health_referral", _("Referral to a mental-health professional")
    REINTEGRATION_PLAN = "reintegration_plan", _("Gradual reintegration plan")
    THERAPY_REFERRAL = "therapy_referral", _("CBT or family-therapy referral")
    OTHER = "other", _("Other")


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
                violation_error_message=_("Unknown kind of timeline entry."),
            ),
            models.CheckConstraint(
                condition=~Q(kind=EventKind.ACTION) | Q(action_type__in=ActionType.values),
                name="action_event_has_action_type",
                violation_error_message=_("An action names one of the documented responses."),
            ),
            models.CheckConstraint(
                condition=~Q(kind=EventKind.STATUS_CHANGE)
                | (~Q(from_status="") & ~Q(to_status="")),
                name="status_event_has_statuses",
                violation_error_message=_("A status change names the status before and after."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"
