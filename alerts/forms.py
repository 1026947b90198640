"""Forms of the casework and rules pages. They validate input; alerts.services writes."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from core.models import User
from core.screening import NOTE_MAX_LENGTH, SCREENING_HELP, screen_note
from schools.forms import SignsByCategoryMixin, sign_choices

from .models import ActionType, CaseStatus, OutcomeKind, RuleKind, Severity, Stage, WarningRule
from .rule_text import KIND_FIELDS, NEUTRAL, rule_normalise
from .services import RULE_EDITABLE_FIELDS, TRANSITIONS


def _note_field(label: StrOrPromise, *, required: bool = True) -> forms.CharField:
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
    """The status list of an open case. Given `current` (the case's status), it offers only
    the steps the workflow allows from there (resolving has its own form, with a reason)."""

    status = forms.ChoiceField(label=_("New status"), choices=OPEN_STATUS_CHOICES)

    def __init__(self, *args, current: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if current is not None:
            allowed = TRANSITIONS.get(current, frozenset())
            self.status_field.choices = [
                (value, label) for value, label in OPEN_STATUS_CHOICES if value in allowed
            ]

    @property
    def status_field(self) -> forms.ChoiceField:
        return cast(forms.ChoiceField, self.fields["status"])

    @property
    def has_steps(self) -> bool:
        return bool(self.status_field.choices)


class _CounsellorField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.email


class OwnerForm(forms.Form):
    owner = _CounsellorField(label=_("Owner"), queryset=None, empty_label=None)

    def __init__(self, *args, counsellors, **kwargs):
        super().__init__(*args, **kwargs)
        self._shown: list[tuple[str, str]] = []
        field = cast(_CounsellorField, self.fields["owner"])
        field.queryset = counsellors
        if not self.is_bound:
            # Shown, not checked: the choices read once. Rendered, the field reads its
            # queryset twice (for the required attribute and for the options), each through a
            # server-side cursor (three statements each: declare, fetch, close); read here as a
            # plain list, once. A posted choice is still checked against the queryset.
            choice = field.iterator(field).choice
            shown = [choice(user) for user in list(counsellors)]
            field.choices = shown
            self._shown = [(str(value), str(label)) for value, label in shown]

    @property
    def rendering_key(self) -> str:
        """All the unbound field renders from but the reader's language: its choices and the
        owner it starts on (the case page keeps each rendering in the fragments cache)."""
        return repr((self._shown, self.initial.get("owner")))


class ReviewForm(forms.Form):
    review_on = forms.DateField(
        label=_("Review on"),
        required=False,
        # A date input takes and shows ISO dates only, whatever the reader's language.
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text=_("The owner is reminded on that school day. Leave empty to clear it."),
    )


class ReopenForm(forms.Form):
    reason = _note_field("Why is the case reopened?")


class ConcernForm(forms.Form):
    """A concern raised by hand: which student (by code), why, and how severe."""

    code = forms.CharField(label=_("Student code"), max_length=17)
    reason = _note_field("What is the concern?")
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial="medium")

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper()


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("What was the outcome?"),
        choices=OutcomeKind.choices,
        help_text=_("Recorded for the student: it is what a rule's backtest is measured against."),
    )
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
    owner = forms.ChoiceField(
        label=_("Owner"),
        required=False,
        choices=[
            ("", _("Anyone")),
            ("mine", pgettext_lazy("cases owned by", "Mine")),
            ("none", _("Nobody yet")),
        ],
    )
    code = forms.CharField(label=_("Student code contains"), required=False, max_length=17)

    def __init__(self, *args, year_groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.year_groups = tuple(year_groups)
        year_group = cast(forms.TypedChoiceField, self.fields["year_group"])
        year_group.choices = [
            ("", _("Any")),
            *((y, _("Year %(year)s") % {"year": y}) for y in year_groups),
        ]

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper()

    @property
    def rendering_key(self) -> str:
        """All the rendered form depends on but the reader's language: whether it was given
        values, the value of each field (as its widget reads it, the last one given), and the
        year groups it offers. The cases page keeps each rendering in the fragments cache:
        its select lists, rendered option by option through the widget templates, cost more
        than all the page's other fields."""
        values = [self.data.get(name) for name in self.fields] if self.is_bound else None
        return repr((values, self.year_groups))

    def active(self) -> dict[str, str]:
        """The filters in force, as query parameters (for the export link)."""
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: str(v) for k, v in self.cleaned_data.items() if v not in ("", None)}


class RuleForm(SignsByCategoryMixin, forms.ModelForm):
    """The fields a school admin edits; saving goes through alerts.services.rule_create or
    rule_update. The description is not edited: it is generated from the settings
    (alerts.rule_text), and the fields that do not apply to the chosen kind are reset."""

    signs = forms.MultipleChoiceField(
        label=_("Signs it counts"),
        required=False,
        choices=sign_choices,
        widget=forms.CheckboxSelectMultiple,
    )
    components = forms.TypedMultipleChoiceField(
        label=_("Composite: the rules that must fire together"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Other rules of the school (switched on or not), for a composite rule."),
    )

    class Meta:
        model = WarningRule
        fields = [f for f in RULE_EDITABLE_FIELDS if f != "description"]
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
            "min_components": _("Composite: at least this many of them (empty: all)"),
            "severity": _("Severity of a case it opens"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The settings as they were, to tell which changed once the form has been cleaned.
        self._original = {
            name: copy.copy(getattr(self.instance, name)) for name in RULE_EDITABLE_FIELDS
        }
        # A composite rule combines the school's other plain rules.
        others = WarningRule.objects.filter(school_id=self.instance.school_id).exclude(
            kind=RuleKind.COMPOSITE
        )
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        components = cast(forms.TypedMultipleChoiceField, self.fields["components"])
        components.choices = [(r.pk, r.name) for r in others.order_by("name")]

    def clean(self):
        data = super().clean() or {}
        # A field that does not apply to the chosen kind (hidden on the page) is reset to its
        # neutral value, and whatever was in it is not an error.
        for name, value in NEUTRAL.get(data.get("kind", ""), {}).items():
            self.errors.pop(name, None)
            data[name] = value
        return data

    def _post_clean(self):
        # ModelForm's step that builds the instance, which the stubs do not declare.
        super()._post_clean()  # type: ignore[misc]
        rule_normalise(self.instance)

    @property
    def changed_data(self) -> list[str]:
        """The settings that differ from the rule as it was, the generated description
        included (what alerts.services.rule_update saves and versions)."""
        return [
            name
            for name in RULE_EDITABLE_FIELDS
            if getattr(self.instance, name) != self._original[name]
        ]

    def kind_fields(self) -> dict[str, list]:
        """The bound fields by the kind of rule they apply to ("" for every kind)."""
        groups: dict[str, list] = {"": [], **{k: [] for k in KIND_FIELDS}}
        for name in self.fields:
            if name == "signs":
                continue
            kind = next((k for k, names in KIND_FIELDS.items() if name in names), "")
            groups[kind].append(self[name])
        return groups
