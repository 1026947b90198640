"""factory_boy factories. Student codes look like S-0042; nobody has a name.

Dates derive from today, which is the frozen school day of tests/clock.py: a term holds it
and default evidence is dated the day before.
"""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from core.models import User
from schools.models import (
    AttendanceRecord,
    AttendanceStatus,
    Membership,
    Observation,
    ObservationSign,
    Role,
    School,
    Student,
    Term,
)

from .clock import school_year_start


def yesterday() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=1)


def _term_start() -> dt.date:
    start = school_year_start(timezone.localdate())
    return start.replace(year=start.year - 1)


def _term_end() -> dt.date:
    return dt.date(school_year_start(timezone.localdate()).year + 1, 7, 31)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"staff{n}@school.test")
    password = factory.django.Password("correct horse battery")


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"SCH{n}")
    name = factory.LazyAttribute(lambda o: f"School {o.code}")
    time_zone = "Europe/London"


class TermFactory(factory.django.DjangoModelFactory):
    """One long term without holidays: from 1 September of the school year before today's to
    31 July at the end of today's, so evidence up to a year back is in term (on the default
    school day, 1 Sep 2025 - 31 Jul 2027)."""

    class Meta:
        model = Term

    school = factory.SubFactory(SchoolFactory)
    name = "Year"
    starts_on = factory.LazyFunction(_term_start)
    ends_on = factory.LazyFunction(_term_end)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    school = factory.SubFactory(SchoolFactory)
    role = Role.TEACHER


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    school = factory.SubFactory(SchoolFactory)
    code = factory.Sequence(lambda n: f"S-{n:04d}")
    year_group = 9


class ObservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Observation
        skip_postgeneration_save = True

    student = factory.SubFactory(StudentFactory)
    observed_on = factory.LazyFunction(yesterday)
    recorded_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def signs(self, create, extracted, **kwargs):
        for code in extracted or ["ISOLATION"]:
            ObservationSign.objects.create(observation=self, sign=code)


class AttendanceRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AttendanceRecord

    student = factory.SubFactory(StudentFactory)
    date = factory.LazyFunction(yesterday)
    session = "AM"
    status = AttendanceStatus.UNAUTHORISED_ABSENCE


class CaseFactory(factory.django.DjangoModelFactory):
    """A case as the engine would have opened it; `evidence_on` sets all its evidence dates."""

    class Meta:
        model = "alerts.Case"

    class Params:
        evidence_on = factory.LazyFunction(yesterday)

    student = factory.SubFactory(StudentFactory)
    first_evidence_on = factory.SelfAttribute("evidence_on")
    last_evidence_on = factory.SelfAttribute("evidence_on")
    persisted_since = factory.SelfAttribute("evidence_on")
    last_fired_on = factory.SelfAttribute("evidence_on")
