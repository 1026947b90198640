"""Forms of the casework and rules pages. They validate input; alerts.services writes."""

from __future__ import annotations

from django import forms

from core.screening import NOTE_MAX_LENGTH, SCREENING_HELP, screen_note
from schools.forms import sign_choices
from schools.signs import SIGNS, Category

from .models import ActionType, CaseStatus, OutcomeKind, RuleKind, Severity, Stage, WarningRule
from .services import RULE_EDITABLE_FIELDS


def _note_field(label: str, *, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=NOTE_MAX_LENGTH,
        validators=[screen_note],
        help_text=SCREENING_HELP,
        widget=forms.Textarea(
            attrs={"rows": 3, "maxlength": NOTE_MAX_LENGTH, "data-screen": "note"}
        ),
    )


class NoteForm(forms.Form):
    text = _note_field("Note")


class ActionForm(forms.Form):
    action_type = forms.ChoiceField(label="Action taken", choices=ActionType.choices)
    text = _note_field("Details (optional)", required=False)


OPEN_STATUS_CHOICES = [(s.value, s.label) for s in CaseStatus if s != CaseStatus.RESOLVED]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="New status", choices=OPEN_STATUS_CHOICES)


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label="What was the outcome?",
        choices=OutcomeKind.choices,
        help_text="Recorded for the student: it is what a rule's backtest is measured against.",
    )
    reason = _note_field("Why is the case resolved?")


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Open"), *CaseStatus.choices, ("all", "All")],
    )
    stage = forms.ChoiceField(label="Stage", required=False, choices=[("", "Any"), *Stage.choices])
    severity = forms.ChoiceField(
        label="Severity", required=False, choices=[("", "Any"), *Severity.choices]
    )
    year_group = forms.TypedChoiceField(
        label="Year group", required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, year_groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year_group"].choices = [("", "Any"), *((y, f"Year {y}") for y in year_groups)]


class RuleForm(forms.ModelForm):
    """The fields a school admin edits; saving goes through alerts.services.rule_update."""

    signs = forms.MultipleChoiceField(
        label="Signs it counts",
        required=False,
        choices=sign_choices,
        widget=forms.CheckboxSelectMultiple,
    )
    components = forms.TypedMultipleChoiceField(
        label="Composite: the rules that must fire together",
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text="Other rules of the school (switched on or not), for a composite rule.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        others = WarningRule.objects.filter(school_id=self.instance.school_id).exclude(
            kind=RuleKind.COMPOSITE
        )
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        self.fields["components"].choices = [(r.pk, r.name) for r in others.order_by("name")]

    class Meta:
        model = WarningRule
        fields = list(RULE_EDITABLE_FIELDS)
        labels = {
            "enabled": "Enabled",
            "kind": "Kind",
            "count_unit": "Count",
            "use_register": "Use the register",
            "window_days": "School days per window",
            "min_events_per_window": "At least this many per window",
            "min_distinct_signs": "Different signs over the span",
            "min_distinct_observers": "Different members of staff over the span",
            "consecutive_windows": "Windows in a row",
            "attendance_threshold": "Attendance below (%)",
            "min_components": "Composite: at least this many of them (empty: all)",
            "severity": "Severity of a case it opens",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def signs_by_category(self):
        by_code = {w.data["value"]: w for w in self["signs"]}
        groups = []
        for category in Category:
            items = [
                (by_code[c], info)
                for c, info in SIGNS.items()
                if info.category == category and c in by_code
            ]
            if items:
                groups.append((category.label, items))
        return groups
