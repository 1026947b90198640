"""Warning-sign rules (versioned) and the severity scale."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.screening import CleanCharField, CleanTextField
from schools.models import School
from schools.signs import Sign


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


# Severity is compared and raised "one step": the order of the choices is the scale.
SEVERITY_ORDER: tuple[str, ...] = tuple(Severity.values)


def severity_rank(value: str) -> int:
    return SEVERITY_ORDER.index(value)


def severity_step_up(value: str, steps: int = 1) -> str:
    return SEVERITY_ORDER[min(severity_rank(value) + steps, len(SEVERITY_ORDER) - 1)]


class RuleKind(models.TextChoices):
    SIGN_PATTERN = "sign_pattern", _("Sign pattern")
    ATTENDANCE_RATE = "attendance_rate", _("Attendance rate")
    # Fires when other rules of the school fire together on the same school day (all of
    # them, or at least `min_components`): register absences and teachers' observations
    # corroborating each other. docs/RULES.md says when to use it.
    COMPOSITE = "composite", _("Composite (other rules together)")


class CountUnit(models.TextChoices):
    OBSERVATIONS = "observations", _("Observations")
    DAYS = "days", _("Days with a sign")


class WarningRule(models.Model):
    """A condition that must hold in each of the last N consecutive windows of school days.

    `version` is raised by alerts.services.rule_update on every edit, so a case can say which
    version of a rule it fired on. `key` names a default rule (installed for every school);
    a rule a school admin adds has an empty key.
    """

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="warning_rules")
    key = models.SlugField(max_length=40, blank=True, help_text=_("Set for a default rule."))
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
        help_text=_("Count observations, or school days on which a sign was seen."),
    )
    # Register marks count as signs: a late mark is LATE, an absence is ABSENCE.
    use_register = models.BooleanField(
        default=True, help_text=_("Count late marks as LATE and absences as ABSENCE.")
    )
    window_days = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("School days per window; 5 is a school week."),
    )
    min_events_per_window = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1)]
    )
    min_distinct_signs = models.PositiveSmallIntegerField(
        default=1, help_text=_("Different signs seen over all the windows together.")
    )
    min_distinct_observers = models.PositiveSmallIntegerField(
        default=1, help_text=_("Different members of staff over all the windows together.")
    )
    consecutive_windows = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(26)],
        help_text=_("The condition must hold in each of this many windows in a row."),
    )
    attendance_threshold = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Attendance-rate rules: fires below this percentage of possible sessions."),
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
        help_text=_("Composite rules: fires when at least this many of them fire (empty: all)."),
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
                violation_error_message=_("This school already has that default rule."),
            ),
            models.UniqueConstraint(
                fields=["school", "name"],
                name="rule_name_unique_in_school",
                violation_error_message=_("This school already has a rule of that name."),
            ),
            models.CheckConstraint(
                condition=Q(window_days__gte=1, window_days__lte=30),
                name="rule_window_days_range",
                violation_error_message=_("A window is 1 to 30 school days."),
            ),
            models.CheckConstraint(
                condition=Q(consecutive_windows__gte=1, consecutive_windows__lte=26),
                name="rule_consecutive_windows_range",
                violation_error_message=_("A rule looks at 1 to 26 windows in a row."),
            ),
            models.CheckConstraint(
                condition=Q(min_events_per_window__gte=1),
                name="rule_min_events_positive",
                violation_error_message=_("Each window needs at least 1 event."),
            ),
            models.CheckConstraint(
                condition=~Q(kind=RuleKind.ATTENDANCE_RATE)
                | Q(attendance_threshold__gt=0, attendance_threshold__lte=100),
                name="attendance_rule_has_threshold",
                violation_error_message=_(
                    "An attendance rule fires below a percentage of possible sessions: give a "
                    "threshold above 0 and at most 100 (e.g. 90)."
                ),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=RuleKind.values),
                name="rule_kind_is_known",
                violation_error_message=_("Unknown kind of rule."),
            ),
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values),
                name="rule_severity_is_known",
                violation_error_message=_("Unknown severity."),
            ),
            models.CheckConstraint(
                condition=Q(min_components__isnull=True) | Q(min_components__gte=1),
                name="rule_min_components_positive",
                violation_error_message=_(
                    "A composite rule needs at least 1 of its rules to fire."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    def clean(self) -> None:
        unknown = sorted(set(self.signs or ()) - set(Sign.values))
        if unknown:
            raise ValidationError(
                {
                    "signs": _("Unknown sign code(s): %(unknown)s. Known codes: %(known)s.")
                    % {"unknown": ", ".join(unknown), "known": ", ".join(Sign.values)}
                }
            )
        if self.kind == RuleKind.SIGN_PATTERN and not self.signs:
            raise ValidationError({"signs": _("A sign-pattern rule counts at least one sign.")})
        if self.kind == RuleKind.ATTENDANCE_RATE and self.attendance_threshold is None:
            raise ValidationError(
                {"attendance_threshold": _("An attendance rule needs a threshold (e.g. 90).")}
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

    @property
    def plain_description(self) -> str:
        """What the rule checks, in plain words, generated from its settings (never typed,
        so it cannot drift from them)."""
        from ..rule_text import rule_describe

        return rule_describe(self)
