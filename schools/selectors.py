"""Reads of the recorded data that carry a rule about who sees what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from rest_framework import serializers

from core.rows import columns, instance, prepared_cursor, table

from . import tenancy
from .calendar import school_days_between
from .models import (
    AttendanceRecord,
    AttendanceStatus,
    Membership,
    Observation,
    Role,
    School,
    Session,
    Student,
)

if TYPE_CHECKING:
    from core.models import User

    from .tenancy import AnyUser


def integration_accounts() -> QuerySet[User]:
    """Accounts that are only integrations (a school's information system with an API token,
    no person behind it): they have no password, and nobody may set one for them by e-mail."""
    return (
        get_user_model()
        .objects.filter(memberships__role=Role.INTEGRATION)
        .exclude(memberships__role__in=tenancy.STAFF_ROLES)
    )


def second_factor_required(user: User) -> bool:
    """Whether `user` is a counsellor or school admin of a school that requires a second
    factor (they read case data)."""
    return Membership.objects.filter(
        user=user, role__in=tenancy.CASEWORK_ROLES, school__second_factor_required=True
    ).exists()


def integrations_of(school: School) -> QuerySet[User]:
    """The integration accounts of `school`: an integration role there and no other role at
    any school."""
    elsewhere = Membership.objects.exclude(school=school, role=Role.INTEGRATION)
    return (
        get_user_model()
        .objects.filter(memberships__school=school, memberships__role=Role.INTEGRATION)
        .exclude(pk__in=elsewhere.values("user_id"))
        .order_by("display_name", "email")
    )


def locked_sign_ins(school: School) -> QuerySet[Any]:
    """Locked-out sign-ins (account and address) naming an account of `school`'s staff."""
    from axes.models import AccessAttempt
    from django.conf import settings

    emails = get_user_model().objects.filter(memberships__school=school).values("email")
    # django-axes has no types: the attempts' queryset is declared here.
    attempts: QuerySet[Any] = AccessAttempt.objects.filter(
        username__in=emails, failures_since_start__gte=settings.AXES_FAILURE_LIMIT
    ).order_by("-attempt_time")
    return attempts


def staff_students(*, user: AnyUser, school: School) -> QuerySet[Student]:
    """Active students of `school`, scoped to `user` (so never another school's): the
    students a member of staff may record about."""
    return tenancy.scope(
        Student.objects.filter(school=school, is_active=True), user, roles=tenancy.STAFF_ROLES
    )


def observations_visible_to(user: AnyUser) -> QuerySet[Observation]:
    """Counsellors and school admins see their school's observations; teachers their own."""
    casework = tenancy.school_ids(user, tenancy.CASEWORK_ROLES)
    teaching = tenancy.school_ids(user, {Role.TEACHER})
    if not casework and not teaching:
        return Observation.objects.none()
    return (
        Observation.objects.filter(
            Q(student__school_id__in=casework)
            | Q(student__school_id__in=teaching, recorded_by=user)
        )
        .select_related("student__school", "recorded_by")
        .prefetch_related("signs")
    )


# --- a student's attendance and observations over a span of school weeks --------------------

DEFAULT_WEEKS = 12
MAX_WEEKS = 52
SESSIONS_PER_DAY = len(Session.values)


@dataclass(frozen=True)
class AttendanceWeek:
    """One school week (a Monday-based week with at least one school day) of one student.

    present + late + authorised + unauthorised == possible: a session with no mark on a school
    day is present, and a "not required" mark takes the session out of the possible ones.
    """

    starts_on: dt.date
    school_days: int
    possible: int
    present: int
    late: int
    authorised: int
    unauthorised: int

    @property
    def attended(self) -> int:
        """Late is attended: the student was there."""
        return self.present + self.late

    @property
    def rate(self) -> float | None:
        """Attended sessions in percent of the possible ones; None when none was possible."""
        if self.possible <= 0:
            return None
        return round(100.0 * self.attended / self.possible, 1)


def week_monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def last_school_weeks(school_days: Iterable[dt.date], count: int) -> list[dt.date]:
    """The school days of the last `count` school weeks among `school_days`, in order."""
    by_week: dict[dt.date, list[dt.date]] = {}
    for day in sorted(school_days):
        by_week.setdefault(week_monday(day), []).append(day)
    kept = sorted(by_week)[-count:] if count > 0 else []
    return [day for monday in kept for day in by_week[monday]]


def attendance_weeks_from(
    *,
    school_days: Iterable[dt.date],
    marks: Iterable[tuple[dt.date, str, str]],
) -> list[AttendanceWeek]:
    """The pure counting of student_attendance_weeks: no database, easy to test.

    `marks` are (date, session, status) of one student. A mark on a date that is not among
    `school_days` (a weekend, a holiday, a closure) is not a session of the school and is not
    counted; a second mark for the same date and session replaces the first.
    """
    days = set(school_days)
    by_session: dict[tuple[dt.date, str], str] = {}
    for day, session, status in marks:
        if day in days:
            by_session[(day, session)] = status
    tally: dict[dt.date, dict[str, int]] = {}
    for day in sorted(days):
        week = tally.setdefault(week_monday(day), dict.fromkeys(AttendanceStatus.values, 0))
        week["days"] = week.get("days", 0) + 1
    for (day, _session), status in by_session.items():
        week = tally[week_monday(day)]
        week[status] = week.get(status, 0) + 1
    weeks = []
    for monday in sorted(tally):
        t = tally[monday]
        possible = t["days"] * SESSIONS_PER_DAY - t[AttendanceStatus.NOT_REQUIRED]
        late = t[AttendanceStatus.LATE]
        authorised = t[AttendanceStatus.AUTHORISED_ABSENCE]
        unauthorised = t[AttendanceStatus.UNAUTHORISED_ABSENCE]
        weeks.append(
            AttendanceWeek(
                starts_on=monday,
                school_days=t["days"],
                possible=possible,
                present=possible - late - authorised - unauthorised,
                late=late,
                authorised=authorised,
                unauthorised=unauthorised,
            )
        )
    return weeks


@dataclass(frozen=True)
class StudentAttendance:
    start: dt.date  # the Monday of the first school week shown
    end: dt.date
    weeks: list[AttendanceWeek]
    # Every stored mark of the span, newest first: the exceptions the weeks are counted from.
    marks: list[AttendanceRecord] = field(default_factory=list)

    @property
    def totals(self) -> AttendanceWeek | None:
        if not self.weeks:
            return None
        return AttendanceWeek(
            starts_on=self.start,
            **{
                name: sum(getattr(w, name) for w in self.weeks)
                for name in (
                    "school_days",
                    "possible",
                    "present",
                    "late",
                    "authorised",
                    "unauthorised",
                )
            },
        )


def student_attendance_weeks(
    *, student: Student, until: dt.date, weeks: int = DEFAULT_WEEKS
) -> StudentAttendance:
    """The student's attendance per school week for the last `weeks` school weeks up to
    `until`, and the marks behind it. Three queries whatever the span or the number of marks
    (terms, closures, marks): the counting is done in attendance_weeks_from."""
    weeks = max(1, min(weeks, MAX_WEEKS))
    # A year of slack beyond the weeks asked for, so a span reaching across the summer holiday
    # still finds its school weeks; the calendar is read in two queries however long it is.
    days = school_days_between(student.school, until - dt.timedelta(weeks=weeks + 52), until)
    span = last_school_weeks(days, weeks)
    start = week_monday(span[0]) if span else week_monday(until) - dt.timedelta(weeks=weeks - 1)
    marks = list(
        AttendanceRecord.objects.filter(student=student, date__range=(start, until)).order_by(
            "-date", "session"
        )
    )
    return StudentAttendance(
        start=start,
        end=until,
        weeks=attendance_weeks_from(
            school_days=span, marks=((m.date, m.session, m.status) for m in marks)
        ),
        marks=marks,
    )


def student_observations(
    *, student: Student, start: dt.date, end: dt.date
) -> QuerySet[Observation]:
    """The student's observations from `start` to `end`, newest first, withdrawn ones
    included (the page marks them): two queries with their signs."""
    return (
        Observation.objects.filter(student=student, observed_on__range=(start, end))
        .select_related("recorded_by")
        .prefetch_related("signs")
        .order_by("-observed_on", "-created_at")
    )


# --- students named in a request (the API's serializers) -------------------------------------


class StudentResolver:
    """Finds schools and students for a request, scoped to the user's schools and roles.

    A batch preloads all the codes it names in one query, so validating 5,000 rows does not
    cost 5,000 queries.
    """

    def __init__(self, user: AnyUser, roles: Iterable[str]) -> None:
        self.user = user
        self.roles = frozenset(roles)
        self._schools: dict[str, School] | None = None
        self._students: dict[tuple[int, str], Student | None] = {}

    @property
    def schools(self) -> dict[str, School]:
        """The user's schools with one of the roles, by code (read when first needed)."""
        if self._schools is None:
            self._schools = {
                s.code: s for s in tenancy.schools_for(self.user, roles=self.roles).order_by()
            }
        return self._schools

    def school_and_student(self, school_code: str | None, code: str) -> tuple[School, Student]:
        """The school (named, or the user's only one) and its student `code`, with the same
        errors as school() and student(). One query on the usual path, with the school
        joined: the user's schools are known from their memberships, read once a request."""
        ids = tenancy.school_ids(self.user, self.roles)
        if self._schools is None and (school_code or len(ids) == 1):
            student = _student_with_school(ids, code, school_code)
            if student is not None:
                self._students[(student.school_id, code)] = student
                return student.school, self.student(student.school, code)
        school = self.school(school_code)
        return school, self.student(school, code)

    def school(self, code: str | None) -> School:
        if code is not None and not isinstance(code, str):
            # A batch is preloaded before its rows are validated: any JSON value may be here.
            raise serializers.ValidationError({"school": _("A school is named by its code.")})
        if code:
            if code not in self.schools:
                raise serializers.ValidationError(
                    {
                        "school": _("You cannot record for a school with code %(code)r.")
                        % {"code": code}
                    }
                )
            return self.schools[code]
        if len(self.schools) == 1:
            return next(iter(self.schools.values()))
        if not self.schools:
            raise serializers.ValidationError({"school": _("You cannot record for any school.")})
        raise serializers.ValidationError(
            {"school": _("You work at several schools: name the school by its code.")}
        )

    def preload(self, rows: Iterable[Any]) -> None:
        wanted: dict[int, set[str]] = {}
        for row in rows:
            if not isinstance(row, dict):
                continue
            try:
                school = self.school(row.get("school"))
            except serializers.ValidationError:
                continue
            if isinstance(row.get("student"), str):
                wanted.setdefault(school.pk, set()).add(row["student"])
        for school_id, codes in wanted.items():
            for student in Student.objects.select_related("school").filter(
                school_id=school_id, code__in=codes
            ):
                self._students[(school_id, student.code)] = student

    def student(self, school: School, code: str) -> Student:
        key = (school.pk, code)
        if key not in self._students:
            found = Student.objects.select_related("school").filter(school=school, code=code)
            self._students[key] = found.first()
        student = self._students[key]
        params = {"code": code, "school": school.code}
        if student is None:
            raise serializers.ValidationError(
                {"student": _("No student with code %(code)s at %(school)s.") % params}
            )
        if not student.is_active:
            raise serializers.ValidationError(
                {"student": _("Student %(code)s is no longer active at %(school)s.") % params}
            )
        return student


def _student_with_school(
    school_ids: list[int], code: str, school_code: str | None
) -> Student | None:
    """The student `code` of one of `school_ids` (of the school `school_code`, if named), with
    its school. By hand (core/rows.py): the observation POST reads it on every request, and
    compiling the ORM's query cost about 1 ms of CPU, more than the rest of the read."""
    if not school_ids:
        return None
    # Only the models' own table and column names and placeholders are formatted in.
    sql = (
        f"SELECT {columns(Student, 's')}, {columns(School, 'sc')} "  # noqa: S608
        f"FROM {table(Student)} s JOIN {table(School)} sc ON sc.id = s.school_id "
        f"WHERE s.school_id IN ({', '.join(['%s'] * len(school_ids))}) AND s.code = %s"
        + (" AND sc.code = %s" if school_code else "")
        + " ORDER BY s.id LIMIT 1"
    )
    params: list[Any] = [*school_ids, code] + ([school_code] if school_code else [])
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    student, after = instance(Student, row)
    student.school, _end = instance(School, row, after)
    return student


def school_language_for(user: User) -> str | None:
    """The default language of the first of `user`'s schools (by code), or None."""
    return (
        Membership.objects.filter(user=user)
        .order_by("school__code")
        .values_list("school__default_language", flat=True)
        .first()
    )
