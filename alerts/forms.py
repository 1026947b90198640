"""Forms of the casework and rules pages. They validate input; alerts.services writes."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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
    text = _note_field(_("Note"))


class ActionForm(forms.Form):
    action_type = forms.ChoiceField(label=_("Action taken"), choices=ActionType.choices)
    text = _note_field(_("Details (optional)"), required=False)


OPEN_STATUS_CHOICES = [(s.value, s.label) for s in CaseStatus if s != CaseStatus.RESOLVED]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=OPEN_STATUS_CHOICES)


class ResolveForm(forms.Form):
    reason = _note_field(_("Why is the case resolved?"))


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Open")), *CaseStatus.choices, ("all", pgettext_lazy("filter", "All"))],
    )
    stage = forms.ChoiceField(
        label=_("Stage"), required=False, choices=[("", _("Any")), *Stage.choices]
    )
    severity = forms.ChoiceField(
        label=_("Severity"), required=False, choices=[("", _("Any")), *Severity.choices]
    )
    year_group = forms.TypedChoiceField(
        label=_("Year group"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, year_groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year_group"].choices = [
            ("", _("Any")),
            *((y, _("Year %(year)s") % {"year": y}) for y in year_groups),
        ]


class RuleForm(SignsByCategoryMixin, forms.ModelForm):
    """The fields a school admin edits; saving goes through alerts.services.rule_update."""

    signs = forms.MultipleChoiceField(
        label=_("Signs it counts"),
        required=False,
        choices=sign_choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WarningRule
        fields = list(RULE_EDITABLE_FIELDS)
        labels = {
            "enabled": _("Enabled"),
            "kind": _("Kind"),
            "count_unit": _("Count"),
            "use_register": _("Use the register"),
            "window_days": _("School days per window"),
            "min_events_per_window": _("At least this many per window"),
            "min_distinct_signs": _("Different signs over the span"),
            "min_distinct_observers": _("Different members of staff over the span"),
            "consecutive_windows": _("Windows in a row"),
            "attendance_threshold": _("Attendance below (%)"),
            "severity": _("Severity of a case it opens"),
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
