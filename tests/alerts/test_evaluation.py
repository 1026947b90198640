"""evaluation_run: rules -> cases. One case per student, idempotent, safe when two runs meet,
stage and severity from persistence and context, reopening only on newer evidence, and a
resolution suggested after clean school weeks."""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo

import pytest
from django.db import connection, connections

from alerts.models import (
    Case,
    CaseEvent,
    CaseEvidence,
    CaseRule,
    CaseStatus,
    EventKind,
    Notification,
    NotificationKind,
    Severity,
    Stage,
)
from alerts.services import case_resolve, evaluation_run, rule_update
from core.models import AuditEvent
from tests.clock import fixed_dates
from tests.factories import CaseFactory, ClosureDayFactory, StudentFactory, UserFactory

from .conftest import ON, observe, rule, weeks, withdrawal_week

pytestmark = fixed_dates

LONDON = zoneinfo.ZoneInfo("Europe/London")


def pattern(student, school, on=ON, count=3, first=None, second=None):
    for week in weeks(school, on=on, count=count):
        withdrawal_week(student, week, first, second)


@pytest.mark.django_db
def test_a_firing_rule_opens_one_case_and_tells_the_designated_counsellor(
    north, student, alice, tom, carol
):
    pattern(student, north, first=alice, second=tom)
    summary = evaluation_run(school=north, on_date=ON)
    assert summary.opened == ["S-0101"]
    case = Case.objects.get(student=student)
    assert (case.status, case.stage, case.severity) == ("new", "watch", "medium")
    assert list(case.fired_rules.values_list("rule__key", "rule_version")) == [
        ("persistent_withdrawal", 1)
    ]
    assert case.evidence_rows.count() == 6
    assert case.events.get().kind == EventKind.OPENED
    (note,) = Notification.objects.filter(case=case)
    assert (note.recipient, note.kind, note.status) == (carol, NotificationKind.OPENED, "pending")
    assert AuditEvent.objects.filter(action="case.open", object_id=case.pk).exists()


@pytest.mark.django_db
def test_the_assigned_counsellor_is_told_before_the_designated_one(north, alice, tom, carol):
    own = UserFactory(email="dora@north.test")
    from schools.models import Membership, Role

    Membership.objects.create(user=own, school=north, role=Role.COUNSELLOR)
    student = StudentFactory(school=north, code="S-0102", assigned_counsellor=own)
    pattern(student, north, first=alice, second=tom)
    evaluation_run(school=north, on_date=ON)
    assert list(Notification.objects.values_list("recipient", flat=True)) == [own.pk]


@pytest.mark.django_db
def test_two_rules_firing_for_one_student_make_one_case(north, student, alice, tom):
    for week in weeks(north, count=3):
        withdrawal_week(student, week, alice, tom)
        for day in week[1:4]:
            observe(student, day, ["FATIGUE"], alice)
    evaluation_run(school=north, on_date=ON)
    case = Case.objects.get(student=student)
    assert set(case.fired_rules.values_list("rule__key", flat=True)) == {
        "persistent_withdrawal",
        "irregular_sleep",
    }
    # The highest of the two rules' severities (medium over low).
    assert case.severity == Severity.MEDIUM
    assert Notification.objects.count() == 1


@pytest.mark.django_db
def test_running_twice_changes_nothing_the_second_time(north, student, alice, tom):
    pattern(student, north, first=alice, second=tom)
    evaluation_run(school=north, on_date=ON)
    before = (
        list(Case.objects.values()),
        CaseEvent.objects.count(),
        CaseEvidence.objects.count(),
        list(CaseRule.objects.values()),
        Notification.objects.count(),
        AuditEvent.objects.count(),
    )
    second = evaluation_run(school=north, on_date=ON)
    assert (second.opened, second.updated, second.unchanged) == ([], [], ["S-0101"])
    after = (
        list(Case.objects.values()),
        CaseEvent.objects.count(),
        CaseEvidence.objects.count(),
        list(CaseRule.objects.values()),
        Notification.objects.count(),
        AuditEvent.objects.count(),
    )
    assert after == before


@pytest.mark.django_db
def test_a_dry_run_writes_nothing_and_says_what_it_would_open(north, student, alice, tom):
    pattern(student, north, first=alice, second=tom)
    summary = evaluation_run(school=north, on_date=ON, dry_run=True)
    assert summary.would_open == ["S-0101"] and summary.opened == []
    assert not Case.objects.exists() and not Notification.objects.exists()


@pytest.mark.django_db
def test_the_next_day_updates_the_same_case_with_new_evidence(north, student, alice, tom):
    pattern(student, north, first=alice, second=tom)
    evaluation_run(school=north, on_date=ON)
    monday = ON + dt.timedelta(days=3)
    observe(student, monday, ["LOW_MOTIVATION"], alice)
    observe(student, monday, ["SELF_CARE"], tom)
    summary = evaluation_run(school=north, on_date=monday)
    assert summary.updated == ["S-0101"]
    case = Case.objects.get()
    assert case.last_fired_on == monday
    assert case.last_evidence_on == monday
    assert case.events.filter(kind=EventKind.EVIDENCE).count() == 1
    # Nothing rose, so nobody is told again.
    assert Notification.objects.count() == 1


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
def test_a_resolved_case_is_reopened_by_newer_evidence_not_by_the_old(
    north, student, alice, tom, carol
):
    pattern(student, north, first=alice, second=tom)
    evaluation_run(school=north, on_date=ON)
    case = case_resolve(
        case=Case.objects.get(), by=carol, reason="Settled after a talk", outcome="no_concern"
    )
    # Resolved on the Saturday after ON (the service stamps "now"; the scenario is in 2026).
    resolved = dt.datetime.combine(ON + dt.timedelta(days=1), dt.time(10), LONDON)
    Case.objects.filter(pk=case.pk).update(resolved_at=resolved)

    # The old pattern still matches on ON, and a late entry dated before the resolution adds
    # to it: neither reopens the case.
    observe(student, ON, ["SELF_CARE"], alice)
    summary = evaluation_run(school=north, on_date=ON)
    assert summary.reopened == [] and summary.opened == []
    assert Case.objects.get().status == CaseStatus.RESOLVED

    # A new pattern in the three school weeks after the resolution does.
    later = ON + dt.timedelta(weeks=3)
    for week in weeks(north, on=later, count=3):
        assert week[0] > ON
        withdrawal_week(student, week, alice, tom)
    summary = evaluation_run(school=north, on_date=later)
    assert summary.reopened == ["S-0101"]
    case = Case.objects.get()
    assert (case.status, case.opened_count, case.resolved_at) == (CaseStatus.NEW, 2, None)
    assert case.persisted_since > ON
    assert Case.objects.count() == 1
    keys = list(Notification.objects.order_by("created_at").values_list("change_key", flat=True))
    assert keys == ["opened:1", "opened:2"]
    assert case.events.filter(kind=EventKind.REOPENED).count() == 1


@pytest.mark.django_db
def test_after_clean_school_weeks_the_case_suggests_resolution_once(
    north, student, alice, tom, settings
):
    settings.ALERTS_CLEAN_WEEKS_TO_SUGGEST_RESOLUTION = 4
    pattern(student, north, first=alice, second=tom)
    evaluation_run(school=north, on_date=ON)
    three_weeks = ON + dt.timedelta(weeks=3)
    evaluation_run(school=north, on_date=three_weeks)
    case = Case.objects.get()
    assert (case.clean_weeks, case.resolution_suggested_at) == (3, None)
    four_weeks = ON + dt.timedelta(weeks=4)
    summary = evaluation_run(school=north, on_date=four_weeks)
    assert summary.resolution_suggested == ["S-0101"]
    case.refresh_from_db()
    assert case.clean_weeks == 4 and case.resolution_suggested_at is not None
    # It suggests; a person decides: the case stays open.
    assert case.status == CaseStatus.NEW
    evaluation_run(school=north, on_date=four_weeks + dt.timedelta(days=1))
    assert case.events.filter(kind=EventKind.RESOLUTION_SUGGESTED).count() == 1


@pytest.mark.django_db
def test_evaluation_keeps_a_status_a_counsellor_set(north, student, alice, tom, carol):
    from alerts.services import case_set_status

    pattern(student, north, first=alice, second=tom)
    evaluation_run(school=north, on_date=ON)
    case_set_status(case=Case.objects.get(), to_status=CaseStatus.IN_PROGRESS, by=carol)
    observe(student, ON + dt.timedelta(days=3), ["SELF_CARE"], tom)
    evaluation_run(school=north, on_date=ON + dt.timedelta(days=3))
    assert Case.objects.get().status == CaseStatus.IN_PROGRESS


@pytest.mark.django_db
def test_a_case_records_each_rule_version_it_fired_on(north, student, alice, tom, adam):
    pattern(student, north, first=alice, second=tom)
    evaluation_run(school=north, on_date=ON)
    withdrawal = rule(north, "persistent_withdrawal")
    withdrawal.severity = "high"
    rule_update(rule=withdrawal, by=adam)
    monday = ON + dt.timedelta(days=3)
    observe(student, monday, ["SELF_CARE"], alice)
    evaluation_run(school=north, on_date=monday)
    assert sorted(Case.objects.get().fired_rules.values_list("rule_version", flat=True)) == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_make_one_case_and_one_notification(north, student, alice, tom):
    pattern(student, north, first=alice, second=tom)
    barrier = threading.Barrier(2)
    summaries, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            summaries.append(evaluation_run(school=north, on_date=ON))
        except Exception as e:  # reported by the assertion below
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(len(s.opened) for s in summaries) == [0, 1]
    assert Case.objects.count() == 1
    assert Notification.objects.count() == 1
    connection.close()


@pytest.mark.django_db
def test_the_database_refuses_a_second_open_case(north, student):
    from django.db import IntegrityError, transaction

    CaseFactory(student=student, evidence_on=ON)
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory(student=student, evidence_on=ON, status=CaseStatus.MONITORING)


@pytest.mark.django_db(transaction=True)
def test_a_run_waits_while_another_holds_the_schools_lock(north, student, alice, tom):
    """The lock itself, not only the constraint behind it: while one run's transaction holds
    the school row, a second run of the same school does not act."""
    from django.db import transaction

    from schools.models import School

    pattern(student, north, first=alice, second=tom)
    done = threading.Event()

    def second_run():
        try:
            evaluation_run(school=north, on_date=ON)
        finally:
            done.set()
            connections.close_all()

    with transaction.atomic():
        School.objects.select_for_update().get(pk=north.pk)
        thread = threading.Thread(target=second_run)
        thread.start()
        assert not done.wait(timeout=1.5), "the second run went ahead despite the lock"
        assert not Case.objects.exists()
    assert done.wait(timeout=30)
    thread.join()
    assert Case.objects.count() == 1


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
def test_a_second_rule_firing_on_an_open_case_joins_it_on_the_timeline(north, student, alice, tom):
    pattern(student, north, first=alice, second=tom)
    evaluation_run(school=north, on_date=ON)
    later = ON + dt.timedelta(weeks=1)
    for week in weeks(north, on=later, count=2):
        for day in week[:3]:
            observe(student, day, ["FATIGUE"], alice)
    evaluation_run(school=north, on_date=later)
    case = Case.objects.get()
    assert set(case.fired_rules.values_list("rule__key", flat=True)) == {
        "persistent_withdrawal",
        "irregular_sleep",
    }
    (added,) = case.events.filter(kind=EventKind.EVIDENCE)
    assert added.detail["new_rules"] == [{"rule": rule(north, "irregular_sleep").pk, "version": 1}]
    assert Case.objects.count() == 1


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


@pytest.mark.django_db
def test_the_constraint_is_the_last_line_when_a_case_appears_mid_run(
    north, student, alice, tom, monkeypatch
):
    """A case opened for one student by something outside the run's lock, between the run
    reading the cases and writing its own: the other student's case still opens, and the
    first student keeps the one case."""
    from alerts import engine

    other = StudentFactory(school=north, code="S-0102")
    for who in (student, other):
        pattern(who, north, first=alice, second=tom)
    real = engine.evaluate

    def evaluate_then_someone_opens(**kwargs):
        result = real(**kwargs)
        CaseFactory(student=student, evidence_on=ON)
        return result

    monkeypatch.setattr(engine, "evaluate", evaluate_then_someone_opens)
    summary = evaluation_run(school=north, on_date=ON)
    assert summary.opened == ["S-0102"] and summary.unchanged == ["S-0101"]
    assert Case.objects.filter(student=student).count() == 1
    assert Case.objects.filter(student=other).count() == 1
    assert Notification.objects.filter(case__student=other).count() == 1
    assert not Notification.objects.filter(case__student=student).exists()
