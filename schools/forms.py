"""Forms of the web pages for recording. They validate input; services do the writing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.limits import validate_date_bounds
from core.screening import NOTE_MAX_LENGTH, SCREENING_HELP, screen_note

from . import selectors
from .models import AttendanceStatus, Role, Session, Student, refuse_future
from .signs import SIGNS, Category

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    # What the mixin below is mixed into, for the type checker: a form.
    _FormBase = forms.BaseForm
else:
    _FormBase = object


def sign_choices():
    return [(code, info.label) for code, info in SIGNS.items()]


class SignsByCategoryMixin(_FormBase):
    """For a form with a `signs` checkbox field: the template draws the checkboxes grouped
    under their category, each with its description."""

    def signs_by_category(self):
        by_code = {w.data["value"]: w for w in self["signs"]}
        groups = []
        for category in Category:
            items = [
                (by_code[code], info)
                for code, info in SIGNS.items()
                if info.category == category and code in by_code
            ]
            if items:
                groups.append((category.label, items))
        return groups


class ObservationForm(SignsByCategoryMixin, forms.Form):
    """One observation: a student of the school, one or more signs, a date, an optional note.

    The form reads the fields and finds the student; what an observation must meet (the
    date, the signs, the note) is checked once, by the service
    (schools.services.observation_clean), whose errors the page shows on these fields. The
    note field carries the one screening validator, as every note field does, so the page
    answers a refused note before anything else."""

    student = forms.CharField(
        label=_("Student code"),
        max_length=17,
        help_text=_("Type the start of the code, e.g. S-00, and pick the student."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    signs = forms.MultipleChoiceField(
        label=_("What did you see?"),
        choices=sign_choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one sign.")},
    )
    observed_on = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        # The one screening validator, on every field a note is written through.
        validators=[screen_note],
        help_text=SCREENING_HELP,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    client_id = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, school=None, students=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        # The students this user may write about at this school (already scoped by the view).
        self.students = students
        if school is not None:
            self.fields["observed_on"].widget.attrs["max"] = school.today().isoformat()
        self.fields["note"].widget.attrs.update(
            {"maxlength": NOTE_MAX_LENGTH, "data-screen": "note"}
        )

    def clean_student(self) -> Student:
        code = self.cleaned_data["student"].strip().upper()
        student = self.students.filter(code=code).first() if self.students is not None else None
        if student is None:
            raise ValidationError(
                _("There is no student %(code)s at this school."), params={"code": code}
            )
        return student


def new_client_id() -> str:
    return str(uuid.uuid4())


class MyObservationsFilterForm(forms.Form):
    code = forms.CharField(label=_("Student code contains"), required=False, max_length=17)
    start = forms.DateField(
        label=_("Observed from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("Observed until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper()


class CorrectionForm(ObservationForm):
    """The same fields, for a correction; the student may change too (the wrong student
    picked is the commonest mistake), to another student of the same school."""

    def __init__(self, *args, observation=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.observation = observation
        self.fields["student"].required = False

    def clean_student(self) -> Student:
        if not self.cleaned_data.get("student", "").strip():
            return self.observation.student  # left empty: the same student
        return super().clean_student()


@dataclass(frozen=True)
class Mark:
    """A register mark a teacher can tap: the reason code and the status it means."""

    code: str
    label: StrOrPromise
    status: str


# England's register codes where they exist, so an imported code and a web mark read alike.
REGISTER_MARKS = [
    Mark("/", _("Present"), AttendanceStatus.PRESENT),
    Mark("L", _("Late (L)"), AttendanceStatus.LATE),
    Mark("U", _("Late after the register closed (U)"), AttendanceStatus.UNAUTHORISED_ABSENCE),
    Mark("I", _("Absent: illness (I)"), AttendanceStatus.AUTHORISED_ABSENCE),
    Mark("M", _("Absent: medical appointment (M)"), AttendanceStatus.AUTHORISED_ABSENCE),
    Mark("C", _("Absent: other authorised (C)"), AttendanceStatus.AUTHORISED_ABSENCE),
    Mark("G", _("Absent: holiday not agreed (G)"), AttendanceStatus.UNAUTHORISED_ABSENCE),
    Mark("O", _("Absent: unauthorised (O)"), AttendanceStatus.UNAUTHORISED_ABSENCE),
    Mark("N", _("Absent: no reason yet (N)"), AttendanceStatus.UNAUTHORISED_ABSENCE),
]
MARKS_BY_CODE = {m.code: m for m in REGISTER_MARKS}
# For records whose code is not one of ours (imported), the mark that stands for the status.
MARK_FOR_STATUS = {
    AttendanceStatus.PRESENT: "/",
    AttendanceStatus.LATE: "L",
    AttendanceStatus.AUTHORISED_ABSENCE: "C",
    AttendanceStatus.UNAUTHORISED_ABSENCE: "O",
    AttendanceStatus.NOT_REQUIRED: "/",
}


def mark_of(record) -> str:
    """The register mark that shows an existing attendance record."""
    if record is None:
        return "/"
    mark = MARKS_BY_CODE.get(record.original_code)
    if mark is not None and mark.status == record.status:
        return mark.code
    return MARK_FOR_STATUS.get(record.status, "/")


class RegisterPickForm(forms.Form):
    """Which register: a year group, a date and a session."""

    year_group = forms.TypedChoiceField(label=_("Year group"), coerce=int)
    date = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        validators=[validate_date_bounds],
    )
    session = forms.ChoiceField(label=_("Session"), choices=Session.choices)

    def __init__(self, *args, school=None, year_groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        year_group = cast(forms.TypedChoiceField, self.fields["year_group"])
        year_group.choices = [(y, _("Year %(year)s") % {"year": y}) for y in year_groups]
        if school is not None:
            self.fields["date"].widget.attrs["max"] = school.today().isoformat()

    def clean_date(self):
        day = self.cleaned_data["date"]
        if self.school is not None:
            refuse_future(day, self.school)
        return day


STAFF_ROLE_CHOICES = [
    (Role.TEACHER.value, Role.TEACHER.label),
    (Role.COUNSELLOR.value, Role.COUNSELLOR.label),
    (Role.SCHOOL_ADMIN.value, Role.SCHOOL_ADMIN.label),
]


class StaffAddForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=STAFF_ROLE_CHOICES)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class StudentAddForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=17, help_text=_("For example S-0042."))
    year_group = forms.IntegerField(
        label=_("Year group"), min_value=1, max_value=14, required=False
    )

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper()


class StudentYearForm(forms.Form):
    year_group = forms.IntegerField(
        label=_("Year group"), min_value=1, max_value=14, required=False
    )


class StudentBulkForm(forms.Form):
    codes = forms.CharField(
        label=_("Codes, one per line"),
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=_("Pseudonymous codes only (like S-0042), never names."),
    )
    year_group = forms.IntegerField(
        label=_("Year group for all of them"), min_value=1, max_value=14, required=False
    )

    def clean_codes(self):
        return [line.strip() for line in self.cleaned_data["codes"].splitlines() if line.strip()]


class StudentSpanForm(forms.Form):
    """Which school weeks the student page shows: the `weeks` school weeks up to `until`."""

    until = forms.DateField(
        label=_("Up to"),
        required=False,
        help_text=_("Empty: today."),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        validators=[validate_date_bounds],
    )
    weeks = forms.IntegerField(
        label=_("School weeks"),
        required=False,
        min_value=1,
        max_value=selectors.MAX_WEEKS,
        help_text=f"1 to {selectors.MAX_WEEKS}.",
    )
