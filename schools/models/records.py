"""What is recorded of a student: the pseudonymous student, register marks, teachers'
observations and the signs each names.

No model here has a field for a student's name, birth date, address or external id, and none
may gain one: a student is a code and a year group.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.screening import NOTE_MAX_LENGTH, CleanTextField, screen_note

from ..signs import Sign
from .school import (
    STUDENT_CODE_HELP,
    STUDENT_CODE_PATTERN,
    Membership,
    Role,
    School,
    refuse_future,
    student_code_validator,
)


class Student(models.Model):
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="students")
    code = models.CharField(
        max_length=17, validators=[student_code_validator], help_text=STUDENT_CODE_HELP
    )
    year_group = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("School year (1-14); empty when not known yet.")
    )
    assigned_counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_students",
    )
    is_active = models.BooleanField(default=True)
    # The last day the student was on roll, once they have left. Previews and backtests of a
    # date on or before it include them: a rule must be judged on its leavers too.
    left_on = models.DateField(
        null=True, blank=True, help_text=_("The last day on roll, when the student has left.")
    )
    # Which PSEUDONYM_KEY version derived this code, for students created by an import.
    pseudonym_key_version = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    SCHOOL_PATH = "school"

    class Meta:
        ordering = ["school", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "code"],
                name="student_code_unique_in_school",
                violation_error_message=_("This school already has a student with that code."),
            ),
            models.CheckConstraint(
                condition=Q(year_group__isnull=True) | Q(year_group__gte=1, year_group__lte=14),
                name="year_group_in_range",
                violation_error_message=_("A year group is 1 to 14."),
            ),
            # Every form and serializer checks the pattern too; this holds it against any
            # write that goes around them.
            models.CheckConstraint(
                condition=Q(code__regex=STUDENT_CODE_PATTERN),
                name="student_code_pattern",
                violation_error_message=student_code_validator.message,
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        # The assigned counsellor is told about this student's cases: a counsellor here.
        if self.assigned_counsellor_id and self.school_id:
            is_counsellor = Membership.objects.filter(
                user_id=self.assigned_counsellor_id, school_id=self.school_id, role=Role.COUNSELLOR
            ).exists()
            if not is_counsellor:
                raise ValidationError(
                    {"assigned_counsellor": _("Choose a counsellor of this student's school.")}
                )


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    LATE = "late", _("Late")
    AUTHORISED_ABSENCE = "authorised_absence", _("Authorised absence")
    UNAUTHORISED_ABSENCE = "unauthorised_absence", _("Unauthorised absence")
    NOT_REQUIRED = "not_required", _("Not required")


ABSENT_STATUSES = (AttendanceStatus.AUTHORISED_ABSENCE, AttendanceStatus.UNAUTHORISED_ABSENCE)


class Session(models.TextChoices):
    AM = "AM", _("Morning")
    PM = "PM", _("Afternoon")


class RecordSource(models.TextChoices):
    REGISTER = "register", _("Register")
    API = "api", _("API")
    IMPORT_CSV = "import_csv", _("CSV import")
    IMPORT_EDFI = "import_edfi", _("Ed-Fi import")


class AttendanceRecord(models.Model):
    """One register mark. Sessions with no record on a school day count as present, the way
    Ed-Fi stores only the exceptions; the attendance rate is derived, never typed in."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="attendance")
    date = models.DateField()
    session = models.CharField(max_length=2, choices=Session.choices)
    status = models.CharField(max_length=24, choices=AttendanceStatus.choices)
    original_code = models.CharField(
        max_length=60, blank=True, help_text=_("The code as received, e.g. a register code.")
    )
    source = models.CharField(
        max_length=16, choices=RecordSource.choices, default=RecordSource.REGISTER
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    SCHOOL_PATH = "student__school"

    class Meta:
        ordering = ["-date", "session", "student"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "date", "session"],
                name="one_mark_per_session",
                violation_error_message=_("This student already has a mark for that session."),
            ),
        ]
        # updated_at: the records changed since a school's last evaluation (alerts/incremental.py).
        indexes = [models.Index(fields=["date"]), models.Index(fields=["updated_at"])]

    def __str__(self) -> str:
        return f"{self.student} {self.date} {self.session} {self.status}"

    def clean(self) -> None:
        if self.student_id:
            refuse_future(self.date, self.student.school, "date")


class Observation(models.Model):
    """What a member of staff saw, on one day, about one student."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="observations")
    observed_on = models.DateField()
    note = CleanTextField(
        blank=True,
        validators=[MaxLengthValidator(NOTE_MAX_LENGTH), screen_note],
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="observations"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Supplied by the client so that a retried submission never makes a second row.
    client_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Withdrawn, not deleted: a mistaken entry stops counting but the record of it stays.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # A correction is a new observation that names the one it replaces (which is withdrawn):
    # so a withdrawn entry reads "corrected" when it has a replacement, "withdrawn" when not.
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaced_by"
    )

    SCHOOL_PATH = "student__school"

    class Meta:
        ordering = ["-observed_on", "-created_at"]
        indexes = [
            models.Index(fields=["student", "observed_on"]),
            models.Index(fields=["updated_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.student} {self.observed_on}"

    def clean(self) -> None:
        if self.student_id:
            refuse_future(self.observed_on, self.student.school, "observed_on")

    @property
    def sign_codes(self) -> list[str]:
        return [s.sign for s in self.signs.all()]


class ObservationSign(models.Model):
    """One sign of an observation: a row each, so rules count signs with plain SQL."""

    observation = models.ForeignKey(Observation, on_delete=models.CASCADE, related_name="signs")
    sign = models.CharField(max_length=20, choices=Sign.choices)

    SCHOOL_PATH = "observation__student__school"

    class Meta:
        ordering = ["sign"]
        constraints = [
            models.UniqueConstraint(
                fields=["observation", "sign"],
                name="sign_once_per_observation",
                violation_error_message=_("A sign is named once per observation."),
            ),
            models.CheckConstraint(
                condition=Q(sign__in=Sign.values),
                name="sign_is_known",
                violation_error_message=_("Unknown sign code."),
            ),
        ]

    def __str__(self) -> str:
        return self.sign
