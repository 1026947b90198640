"""Forms of the casework and rules pages. They validate input; alerts.services writes."""

from __future__ import annotations

from typing import cast

from django import forms

from core.screening import NOTE_MAX_LENGTH, SCREENING_HELP, screen_note
from schools.forms import SignsByCategoryMixin, sign_choices

from .models import ActionType, CaseStatus, Severity, Stage, WarningRule
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
        year_group = cast(forms.TypedChoiceField, self.fields["year_group"])
        year_group.choices = [("", "Any"), *((y, f"Year {y}") for y in year_groups)]


class RuleForm(SignsByCategoryMixin, forms.ModelForm):
    """The fields a school admin edits; saving goes through alerts.services.rule_update."""

    signs = forms.MultipleChoiceField(
        label="Signs it counts",
        required=False,
        choices=sign_choices,
        widget=forms.CheckboxSelectMultiple,
    )

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
            "severity": "Severity of a case it opens",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
