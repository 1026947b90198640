"""evaluation_run: rules -> cases. One case per student, idempotent, reopening only on newer
evidence, and a resolution suggested after clean school weeks. Stage and severity are in
test_evaluation_grading.py, two runs meeting in test_evaluation_concurrency.py."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

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
)
from alerts.services import case_resolve, evaluation_run, rule_update
from core.models import AuditEvent
from tests.clock import fixed_dates
from tests.factories import StudentFactory, UserFactory

from .conftest import ON, observe, pattern, rule, weeks, withdrawal_week

pytestmark = fixed_dates

LONDON = zoneinfo.ZoneInfo("Europe/London")


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
