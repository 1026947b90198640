"""factory_boy factories. Student codes look like S-0042; nobody has a name.

Dates derive from today, which is the frozen school day of tests/clock.py: a term holds it
and default evidence is dated the day before.
"""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from alerts.models import (
    Case,
    CaseEvent,
    CaseEvidence,
    CaseRule,
    EventKind,
    Notice,
    Notification,
    NotificationKind,
    RuleKind,
    WarningRule,
)
from core.models import User
from schools.models import (
    AttendanceRecord,
    AttendanceStatus,
    ClosureDay,
    ImportJob,
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


class ClosureDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClosureDay

    school = factory.SubFactory(SchoolFactory)
    date = factory.LazyFunction(yesterday)
    reason = "INSET"


class ImportJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportJob

    school = factory.SubFactory(SchoolFactory)
    uploaded_by = factory.SubFactory(UserFactory)
    format = ImportJob.Format.CSV


class WarningRuleFactory(factory.django.DjangoModelFactory):
    """A rule a school admin added (no key): a sign pattern over school weeks."""

    class Meta:
        model = WarningRule

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Rule {n}")
    kind = RuleKind.SIGN_PATTERN
    signs = factory.LazyFunction(lambda: ["ISOLATION"])


class AbsentWeeksRuleFactory(WarningRuleFactory):
    """The rule lab's example: absent (in the register) on a day of each of 3 school weeks."""

    name = "Absent in each of 3 weeks"
    signs = factory.LazyFunction(lambda: ["ABSENCE"])
    count_unit = "days"
    use_register = True
    window_days = 5
    min_events_per_window = 1
    min_distinct_signs = 1
    min_distinct_observers = 1
    consecutive_windows = 3


def _fire_rules(case: Case, create: bool, keys, **kwargs) -> None:
    """CaseRule rows for the rules (by key) the case fired on, as evaluation records them; a
    key the school has no rule for is skipped."""
    for key in keys or ():
        rule = WarningRule.objects.filter(school=case.student.school, key=key).first()
        if rule is not None:
            CaseRuleFactory(case=case, rule=rule)


class CaseFactory(factory.django.DjangoModelFactory):
    """A case as the engine would have opened it at `opened_at` (default now).

    Its pattern ran from `since` to `evidence_on` (default: the day before it opened, a
    pattern of one day); `rules=["persistent_withdrawal"]` records the rules it fired on.
    """

    class Meta:
        model = Case
        skip_postgeneration_save = True

    class Params:
        evidence_on = factory.LazyAttribute(
            lambda o: timezone.localdate(o.opened_at) - dt.timedelta(days=1)
        )
        since = factory.SelfAttribute("evidence_on")

    student = factory.SubFactory(StudentFactory)
    opened_at = factory.LazyFunction(timezone.now)
    first_evidence_on = factory.SelfAttribute("since")
    last_evidence_on = factory.SelfAttribute("evidence_on")
    persisted_since = factory.SelfAttribute("since")
    last_fired_on = factory.SelfAttribute("evidence_on")
    rules = factory.PostGeneration(_fire_rules)


def _three_weeks_back() -> dt.date:
    today = timezone.localdate()
    return today - dt.timedelta(days=today.weekday() + 21)


class FlaggedCaseFactory(CaseFactory):
    """A case as the pages show one: a persistent-withdrawal pattern that began on `since`
    (default the Monday three weeks back) with evidence until two weeks later."""

    class Params:
        since = factory.LazyFunction(_three_weeks_back)
        evidence_on = factory.LazyAttribute(lambda o: o.since + dt.timedelta(days=14))

    rules = factory.PostGeneration(
        lambda case, create, keys, **kw: _fire_rules(
            case, create, keys or ["persistent_withdrawal"]
        )
    )


class CaseRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseRule

    case = factory.SubFactory(CaseFactory)
    rule = factory.SubFactory(
        WarningRuleFactory, school=factory.SelfAttribute("..case.student.school")
    )
    rule_name = factory.SelfAttribute("rule.name")
    rule_version = factory.SelfAttribute("rule.version")
    first_fired_on = factory.SelfAttribute("case.last_fired_on")
    last_fired_on = factory.SelfAttribute("case.last_fired_on")


class CaseEvidenceFactory(factory.django.DjangoModelFactory):
    """One piece of a case's evidence: pass `observation=` or `attendance=`; the window is the
    evidence's day unless given."""

    class Meta:
        model = CaseEvidence

    case = factory.SubFactory(CaseFactory)
    on_date = factory.SelfAttribute("case.last_evidence_on")
    window_start = factory.SelfAttribute("on_date")
    window_end = factory.SelfAttribute("on_date")


class CaseEventFactory(factory.django.DjangoModelFactory):
    """A timeline entry; a note by default."""

    class Meta:
        model = CaseEvent

    case = factory.SubFactory(CaseFactory)
    kind = EventKind.NOTE
    author = factory.SubFactory(UserFactory)
    text = "Called home."


class NotificationFactory(factory.django.DjangoModelFactory):
    """An outbox row for a case change, pending, at the case's stage and severity."""

    class Meta:
        model = Notification

    case = factory.SubFactory(CaseFactory)
    recipient = factory.SubFactory(UserFactory)
    kind = NotificationKind.OPENED
    change_key = factory.LazyAttribute(lambda o: f"{o.kind}:1")
    stage = factory.SelfAttribute("case.stage")
    severity = factory.SelfAttribute("case.severity")


class NoticeFactory(factory.django.DjangoModelFactory):
    """An in-app notice; `read=True` marks it read now."""

    class Meta:
        model = Notice

    class Params:
        read = False

    user = factory.SubFactory(UserFactory)
    case = factory.SubFactory(CaseFactory)
    text = factory.LazyAttribute(lambda o: f"A case was opened: {o.case.student.code}")
    read_at = factory.LazyAttribute(lambda o: timezone.now() if o.read else None)


def rule_edit_form(rule) -> dict:
    """The rule edit form's fields as the page posts them for `rule`, unchanged."""
    return {
        "name": rule.name,
        "description": rule.description,
        "enabled": "on",
        "kind": rule.kind,
        "signs": rule.signs,
        "count_unit": rule.count_unit,
        "window_days": rule.window_days,
        "min_events_per_window": rule.min_events_per_window,
        "min_distinct_signs": rule.min_distinct_signs,
        "min_distinct_observers": rule.min_distinct_observers,
        "consecutive_windows": rule.consecutive_windows,
        "severity": rule.severity,
    }
