"""What is recorded: schools, who works there, pseudonymous students, attendance, observations.

No model here has a field for a student's name, birth date, address or external id, and none
may gain one: a student is a code and a year group.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.screening import NOTE_MAX_LENGTH, CleanTextField, screen_note

from .signs import Sign

STUDENT_CODE_PATTERN = r"^[A-Z]{1,4}-[A-Z0-9]{4,12}$"
STUDENT_CODE_HELP = _(
    "A pseudonymous code: 1-4 capital letters, a dash, then 4-12 capital letters or digits "
    "(for example S-0042). Never a name or a number from another system."
)
student_code_validator = RegexValidator(
    STUDENT_CODE_PATTERN,
    message=_("Enter a code like S-0042: 1-4 capital letters, a dash, 4-12 capitals or digits."),
    code="invalid_code",
)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


def refuse_future(day: dt.date | None, school: School, field: str | None = None) -> None:
    """A record is of what has happened: a date after today at the school (dates are
    school-local) is refused. The one definition of the check: the services, the API, the
    pages and the admin's forms (through clean()) all use it. With `field`, the error names
    that field."""
    if day is not None and day > school.today():
        error = ValidationError(
            _("%(day)s is in the future at %(school)s; record what has happened."),
            code="future_date",
            params={"day": day.isoformat(), "school": school.code},
        )
        raise ValidationError({field: error}) if field else error


class Role(models.TextChoices):
    TEACHER = "teacher", _("Teacher")
    COUNSELLOR = "counsellor", _("Counsellor")
    SCHOOL_ADMIN = "school_admin", _("School admin")
    # A service account for the school's information system: writes students and attendance.
    INTEGRATION = "integration", _("Integration")


class School(models.Model):
    code = models.SlugField(max_length=20, unique=True, help_text=_("Short code, e.g. DEMO."))
    name = models.CharField(max_length=120)
    time_zone = models.CharField(
        max_length=64, default="Europe/London", validators=[validate_time_zone]
    )
    # What its staff read unless they choose otherwise on their profile page.
    default_language = models.CharField(
        max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    edfi_school_id = models.BigIntegerField(
        null=True,
        blank=True,
        unique=True,
        help_text=_("The school's Ed-Fi SchoolId, for routing imported events."),
    )
    designated_counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="designated_for",
        help_text=_("Told about a new case when the student has no assigned counsellor."),
    )
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deputy_for",
        help_text=_("Told when a case is not acknowledged in time."),
    )
    second_factor_required = models.BooleanField(
        default=False,
        help_text="Counsellors and school admins, who read case data, must sign in with a "
        "code from an authenticator app as well as their password.",
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def today(self) -> dt.date:
        """The date it is now at the school: dates are always school-local."""
        return timezone.now().astimezone(self.tz).date()

    def clean(self) -> None:
        # Whoever is named here is told about cases, so they must be able to open one: the
        # designated counsellor a counsellor, the deputy a counsellor or a school admin.
        wanted = {
            "designated_counsellor": (
                {Role.COUNSELLOR},
                _("Choose a counsellor of this school."),
            ),
            "deputy": (
                {Role.COUNSELLOR, Role.SCHOOL_ADMIN},
                _("Choose a counsellor or school admin of this school."),
            ),
        }
        for field, (roles, wrong_role) in wanted.items():
            user_id = getattr(self, f"{field}_id")
            if not user_id or not self.pk:
                continue
            role = self.memberships.filter(user_id=user_id).values_list("role", flat=True).first()
            if role is None:
                raise ValidationError({field: _("Choose a member of staff of this school.")})
            if role not in roles:
                raise ValidationError({field: wrong_role})


class Membership(models.Model):
    """A user's role at one school. One role per school keeps every permission check simple."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)

    SCHOOL_PATH = "school"

    class Meta:
        ordering = ["school", "role", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "school"],
                name="one_role_per_school",
                violation_error_message="This person already has a role at this school.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.school.code}"


class Invitation(models.Model):
    """An invitation to join a school in a role, sent to an e-mail address.

    Nothing about the address is looked up when it is made: a new colleague and someone with
    an account (here or at another school) get the same invitation, and the admin the same
    answer. The link carries a random token of which only a digest is kept; it joins the
    account of that address only when its owner, signed in, accepts (or, for an address with
    no account yet, when the person who followed the link chooses a password).
    """

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    SCHOOL_PATH = "school"

    class Meta:
        ordering = ["school", "-created_at"]
        constraints = [
            # One open invitation per address and school: inviting again replaces it.
            models.UniqueConstraint(
                fields=["school", "email"],
                condition=Q(accepted_at__isnull=True, withdrawn_at__isnull=True),
                name="one_open_invitation_per_address",
                violation_error_message="This address already has an open invitation here.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} as {self.get_role_display()} at {self.school.code}"

    @property
    def is_open(self) -> bool:
        return (
            self.accepted_at is None
            and self.withdrawn_at is None
            and self.expires_at > timezone.now()
        )


class Term(models.Model):
    """A span of the school year; weekdays inside a term are school days unless closed."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="terms")
    name = models.CharField(max_length=60)
    starts_on = models.DateField()
    ends_on = models.DateField()

    SCHOOL_PATH = "school"

    class Meta:
        ordering = ["school", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="term_ends_after_start",
                violation_error_message="A term cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts_on} to {self.ends_on})"


class ClosureDay(models.Model):
    """A weekday inside a term on which the school is closed (bank holiday, training day)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField()
    reason = models.CharField(max_length=80, blank=True)

    SCHOOL_PATH = "school"

    class Meta:
        ordering = ["school", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "date"],
                name="one_closure_per_day",
                violation_error_message="This day is already a closure day.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.reason}".strip()


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
        null=True, blank=True, help_text="The last day on roll, when the student has left."
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
                violation_error_message="This school already has a student with that code.",
            ),
            models.CheckConstraint(
                condition=Q(year_group__isnull=True) | Q(year_group__gte=1, year_group__lte=14),
                name="year_group_in_range",
                violation_error_message="A year group is 1 to 14.",
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
                violation_error_message="This student already has a mark for that session.",
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
                violation_error_message="A sign is named once per observation.",
            ),
            models.CheckConstraint(
                condition=Q(sign__in=Sign.values),
                name="sign_is_known",
                violation_error_message="Unknown sign code.",
            ),
        ]

    def __str__(self) -> str:
        return self.sign


class ImportJob(models.Model):
    """One uploaded file and what importing it did.

    The file waits under IMPORT_DIR and is deleted as soon as the import ends: it holds raw
    student references, which the database never does. `report` holds counts and problems
    (lines, elements, reasons), never a reference.
    """

    class Format(models.TextChoices):
        CSV = "csv", _("CSV attendance")
        EDFI = "edfi", _("Ed-Fi XML")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Imported")
        REFUSED = "refused", _("Refused (nothing written)")
        FAILED = "failed", _("Failed (nothing written)")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="import_jobs")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    format = models.CharField(max_length=8, choices=Format.choices, blank=True)
    create_students = models.BooleanField(default=False)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    # A random name under IMPORT_DIR; the uploaded file name is not kept (it may name a child).
    stored_name = models.CharField(max_length=64, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    SCHOOL_PATH = "school"

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "succeeded", "refused", "failed"]),
                name="import_job_status_known",
                violation_error_message="Unknown import status.",
            ),
        ]

    def __str__(self) -> str:
        return f"Import {self.pk} {self.school.code} {self.status}"


class EvaluationRequest(models.Model):
    """A school's records changed: its warning-sign rules are to be evaluated again soon.

    The outbox of near-real-time evaluation. A save writes (or joins) its school's row in the
    same transaction as the records, so nothing depends on the broker at save time; beat scans
    the rows that are due and a worker evaluates each school (alerts/requests.py). Saves
    within `ALERTS_EVALUATION_DELAY_SECONDS` of the first one are coalesced into one run.
    """

    school = models.OneToOneField(
        School, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    due_at = models.DateTimeField()
    requested_at = models.DateTimeField(help_text="The latest save.")
    # Set while a worker evaluates the school; a save meanwhile sets `again`.
    claimed_at = models.DateTimeField(null=True, blank=True)
    again = models.BooleanField(default=False)

    SCHOOL_PATH = "school"

    def __str__(self) -> str:
        return f"{self.school} due {self.due_at}"
