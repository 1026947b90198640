"""Schools and who works there: the school and its calendar (terms, closure days), roles,
memberships and invitations; the checks every record of a school shares."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
        help_text=_(
            "Counsellors and school admins, who read case data, must sign in with a "
            "code from an authenticator app as well as their password."
        ),
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
                violation_error_message=_("This person already has a role at this school."),
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
                violation_error_message=_("This address already has an open invitation here."),
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
                violation_error_message=_("A term cannot end before it starts."),
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
                violation_error_message=_("This day is already a closure day."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.reason}".strip()
