"""evaluation_run grades a case: stage from how long the pattern has persisted, severity from it and
from context signs in the last eight school weeks, the counsellor told when either rises."""

from __future__ import annotations

import datetime as dt

import pytest

from alerts.models import (
    Case,
    EventKind,
    Notification,
    Severity,
    Stage,
)
from alerts.services import evaluation_run
from tests.clock import fixed_dates
from tests.factories import ClosureDayFactory

from .conftest import ON, observe, pattern, weeks, withdrawal_week

pytestmark = fixed_dates


@pytest.mark.django_db
def test_a_context_sign_in_the_last_eight_weeks_raises_severity_one_step(
    north, student, alice, tom
):
    pattern(student, north, first=alice, second=tom)
    observe(student, ON - dt.timedelta(weeks=5), ["BULLYING"], alice)
    evaluation_run(school=north, on_date=ON)
    case = Case.objects.get()
    assert case.severity == Severity.HIGH
    assert case.context_signs == ["BULLYING"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "context_day",
    [ON - dt.timedelta(days=13), dt.date(2026, 3, 18)],
    ids=["a-saturday", "a-closure-day"],
)
def test_a_context_sign_dated_on_a_day_without_school_still_counts(
    north, student, alice, tom, context_day
):
    """Bullying or strain at home is reported on the day it happened, school or not: unlike
    the signs a rule counts in its windows, context is not about a school day."""

    ClosureDayFactory(school=north, date=dt.date(2026, 3, 18), reason="INSET")
    pattern(student, north, first=alice, second=tom)
    observe(student, context_day, ["FAMILY_STRAIN"], alice)
    evaluation_run(school=north, on_date=ON)
    case = Case.objects.get()
    assert (case.severity, case.context_signs) == (Severity.HIGH, ["FAMILY_STRAIN"])


@pytest.mark.django_db
def test_a_context_sign_older_than_eight_school_weeks_does_not(north, student, alice, tom):
    pattern(student, north, first=alice, second=tom)
    observe(student, weeks(north, count=9)[0][0], ["FAMILY_STRAIN"], alice)
    evaluation_run(school=north, on_date=ON)
    assert Case.objects.get().severity == Severity.MEDIUM


@pytest.mark.django_db
def test_stage_rises_with_persistence_and_the_counsellor_is_told_once(
    north, student, alice, tom, carol
):
    # Fourteen school weeks of the pattern up to ON.
    pattern(student, north, count=14, first=alice, second=tom)
    early = weeks(north, count=14)[3][-1]  # after four weeks: watch
    evaluation_run(school=north, on_date=early)
    case = Case.objects.get()
    assert case.stage == Stage.WATCH
    evaluation_run(school=north, on_date=ON)
    case.refresh_from_db()
    # More than three months since the first week of the pattern: pre-withdrawal, and the
    # severity is at least high (WARNING_SIGNS.md, "Prolonged pattern").
    assert case.persisted_since == weeks(north, count=14)[0][0]
    assert case.stage == Stage.PRE_WITHDRAWAL
    assert case.severity == Severity.HIGH
    kinds = list(Notification.objects.order_by("created_at").values_list("kind", "change_key"))
    assert kinds == [("opened", "opened:1"), ("stage_raised", "stage:pre_withdrawal:1")]
    assert case.events.filter(kind=EventKind.STAGE_CHANGE).count() == 1
    # Again the same day: no second message.
    evaluation_run(school=north, on_date=ON)
    assert Notification.objects.count() == 2


@pytest.mark.django_db
def test_at_six_months_the_case_is_persistent_critical_and_the_counsellor_is_told_again(
    north, student, alice, tom, carol
):
    """WARNING_SIGNS.md, "Prolonged pattern": 3 months -> high, 6 months -> critical, and the
    counsellor is told again. Twenty-seven school weeks of the pattern up to ON (no holiday
    in school_a's calendar), evaluated as the weeks go by."""
    w = weeks(north, count=27)
    pattern(student, north, count=27, first=alice, second=tom)
    seen = []
    for on in (w[3][-1], w[14][-1], w[20][-1], ON):
        evaluation_run(school=north, on_date=on)
        case = Case.objects.get()
        seen.append((case.stage, case.severity))
    assert seen == [
        (Stage.WATCH, Severity.MEDIUM),
        (Stage.PRE_WITHDRAWAL, Severity.HIGH),
        (Stage.PRE_WITHDRAWAL, Severity.HIGH),
        (Stage.PERSISTENT, Severity.CRITICAL),
    ]
    assert case.persisted_since == w[0][0]
    told = list(
        Notification.objects.order_by("created_at").values_list("recipient", "kind", "change_key")
    )
    assert told == [
        (carol.pk, "opened", "opened:1"),
        (carol.pk, "stage_raised", "stage:pre_withdrawal:1"),
        (carol.pk, "stage_raised", "stage:persistent:1"),
    ]
    assert Notification.objects.get(change_key="stage:persistent:1").severity == "critical"
    # Evaluating again, the same day and the next school day, tells nobody again.
    evaluation_run(school=north, on_date=ON)
    evaluation_run(school=north, on_date=ON + dt.timedelta(days=3))
    assert Notification.objects.count() == 3


@pytest.mark.django_db
def test_a_case_opened_late_on_a_long_pattern_starts_at_its_stage(north, student, alice, tom):
    pattern(student, north, count=14, first=alice, second=tom)
    evaluation_run(school=north, on_date=ON)
    case = Case.objects.get()
    assert case.stage == Stage.PRE_WITHDRAWAL
    assert list(Notification.objects.values_list("kind", flat=True)) == ["opened"]


@pytest.mark.django_db
def test_a_context_sign_recorded_later_raises_severity_and_tells_once(north, student, alice, tom):
    pattern(student, north, first=alice, second=tom)
    evaluation_run(school=north, on_date=ON)
    monday = ON + dt.timedelta(days=3)
    observe(student, monday, ["SETBACK"], alice)
    observe(student, monday, ["SELF_CARE"], tom)
    for day in (monday, monday + dt.timedelta(days=1)):
        evaluation_run(school=north, on_date=day)
    case = Case.objects.get()
    assert case.severity == Severity.HIGH
    keys = list(Notification.objects.order_by("created_at").values_list("kind", "change_key"))
    assert keys == [("opened", "opened:1"), ("severity_raised", "severity:high:1")]
    assert case.events.filter(kind=EventKind.SEVERITY_CHANGE).count() == 1


@pytest.mark.django_db
def test_persistence_is_measured_afresh_after_a_break(north, student, alice, tom):
    pattern(student, north, first=alice, second=tom)
    evaluation_run(school=north, on_date=ON)
    first_since = Case.objects.get().persisted_since
    # Two quiet school weeks, then the pattern again for three weeks.
    later = ON + dt.timedelta(weeks=5)
    resumed = weeks(north, on=later, count=3)
    assert resumed[0][0] > ON + dt.timedelta(weeks=2)
    for week in resumed:
        withdrawal_week(student, week, alice, tom)
    evaluation_run(school=north, on_date=later)
    case = Case.objects.get()
    assert first_since < ON < case.persisted_since == resumed[0][0]
    assert case.last_fired_on == later


@pytest.mark.django_db
def test_persistence_continues_while_the_pattern_does(north, student, alice, tom):
    pattern(student, north, count=4, first=alice, second=tom)
    three_weeks_in = weeks(north, count=4)[2][-1]
    evaluation_run(school=north, on_date=three_weeks_in)
    since = Case.objects.get().persisted_since
    evaluation_run(school=north, on_date=ON)
    assert Case.objects.get().persisted_since == since == weeks(north, count=4)[0][0]
