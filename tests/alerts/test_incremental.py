"""Incremental evaluation (alerts/incremental.py) ends where a full run ends.

A generated school (benchmarks/seed.py, every default rule with students to find) is
evaluated; then random changes of every kind the tracking must see arrive (new observations,
withdrawn ones, register marks recorded and corrected, a case resolved, a student given a
whole pattern, a resolved case given new evidence); then the same run, incremental and full,
each from that same state: the cases, their rules, evidence, timeline and outbox are the same.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
import time_machine
from django.db import transaction

from alerts.models import Case, CaseEvent, CaseEvidence, CaseRule, CaseStatus, Notification
from alerts.services import case_resolve, evaluation_run, rule_update
from benchmarks import seed
from core.models import User
from schools.calendar import school_days_between
from schools.models import AttendanceRecord, Observation, Role, Student
from schools.services import (
    AttendanceInput,
    attendance_upsert,
    observation_create,
    observation_withdraw_own,
)

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 3, 25)  # a Wednesday in the spring term
START = dt.datetime(2026, 3, 25, 16, 0, tzinfo=dt.UTC)
COMMON = seed.Rates(chronic=0.25, sleep=0.25, withdrawal=0.3, ongoing=0.7)
WITHDRAWAL = ["ISOLATION", "DISTRESS", "REFUSES_CONTACT"]


def snapshot(school) -> dict:
    """Everything an evaluation writes, by student code (ids differ between the runs)."""
    code = dict(Student.objects.filter(school=school).values_list("pk", "code"))
    cases = {
        code[c.student_id]: (
            c.status,
            c.stage,
            c.severity,
            c.persisted_since,
            c.first_evidence_on,
            c.last_evidence_on,
            c.last_fired_on,
            c.evidence,
            c.context_signs,
            c.clean_weeks,
            c.resolution_suggested_at,
            c.opened_count,
        )
        for c in Case.objects.filter(student__school=school)
    }
    rules = sorted(
        (code[sid], rule, version, first, last)
        for sid, rule, version, first, last in CaseRule.objects.filter(
            case__student__school=school
        ).values_list(
            "case__student_id", "rule_id", "rule_version", "first_fired_on", "last_fired_on"
        )
    )
    evidence = sorted(
        (code[sid], rule, obs or 0, att or 0, on, start, end)
        for sid, rule, obs, att, on, start, end in CaseEvidence.objects.filter(
            case__student__school=school
        ).values_list(
            "case__student_id",
            "rule_id",
            "observation_id",
            "attendance_id",
            "on_date",
            "window_start",
            "window_end",
        )
    )
    events = sorted(
        (code[sid], kind, str(detail))
        for sid, kind, detail in CaseEvent.objects.filter(case__student__school=school)
        .exclude(kind="status_change")
        .values_list("case__student_id", "kind", "detail")
    )
    notifications = sorted(
        (code[sid], user, kind, key)
        for sid, user, kind, key in Notification.objects.filter(
            case__student__school=school
        ).values_list("case__student_id", "recipient_id", "kind", "change_key")
    )
    return {
        "cases": cases,
        "rules": rules,
        "evidence": evidence,
        "events": events,
        "notifications": notifications,
    }


def _random_changes(school, rng: random.Random) -> set[int]:
    """Changes of every kind, through the services; the students they touch."""
    days = school_days_between(school, ON - dt.timedelta(days=40), ON)[-15:]
    teachers = list(User.objects.filter(memberships__school=school, memberships__role=Role.TEACHER))
    counsellor = User.objects.get(memberships__school=school, memberships__role=Role.COUNSELLOR)
    students = list(Student.objects.filter(school=school, is_active=True).order_by("pk"))
    with_case = set(
        Case.objects.filter(student__school=school).values_list("student_id", flat=True)
    )
    touched: set[int] = set()
    # A whole withdrawal pattern for a student without a case: three weeks, two staff.
    fresh = rng.choice([s for s in students if s.pk not in with_case])
    for i, day in enumerate(days):
        if i % 5 in (0, 2):
            observation_create(
                student=fresh,
                observed_on=day,
                signs=[WITHDRAWAL[i % 3]],
                recorded_by=teachers[i % 2],
            )
    touched.add(fresh.pk)
    # New observations here and there.
    for student in rng.sample(students, 8):
        observation_create(
            student=student,
            observed_on=rng.choice(days),
            signs=[rng.choice([*WITHDRAWAL, "FATIGUE", "LATE"])],
            recorded_by=rng.choice(teachers),
        )
        touched.add(student.pk)
    # Withdrawn observations: those still inside the correction window (today's, and the
    # ones just recorded).
    recent = list(
        Observation.objects.filter(
            student__school=school,
            withdrawn_at__isnull=True,
            created_at__gte=START - dt.timedelta(hours=20),
        ).select_related("student__school", "recorded_by")
    )
    for observation in rng.sample(recent, min(6, len(recent))):
        observation_withdraw_own(observation=observation, by=observation.recorded_by)
        touched.add(observation.student_id)
    # Register marks: absences recorded, and some absences corrected back to present.
    items = []
    for student in rng.sample(students, 8):
        for day in rng.sample(days[-10:], 3):
            items.append(AttendanceInput(student, day, "AM", "unauthorised_absence"))
        touched.add(student.pk)
    attendance_upsert(items=items, recorded_by=counsellor)
    corrections = list(
        AttendanceRecord.objects.filter(
            student__school=school, date__in=days, status="unauthorised_absence"
        )
        .exclude(student_id__in={i.student.pk for i in items})
        .select_related("student__school")[:6]
    )
    attendance_upsert(
        items=[AttendanceInput(r.student, r.date, r.session, "present") for r in corrections],
        recorded_by=counsellor,
    )
    touched |= {r.student_id for r in corrections}
    # Cases resolved by their counsellor; one of them then gets new evidence.
    open_cases = list(
        Case.objects.filter(student__school=school)
        .exclude(status=CaseStatus.RESOLVED)
        .select_related("student__school")
    )
    for case in rng.sample(open_cases, min(3, len(open_cases))):
        case_resolve(
            case=case, by=counsellor, reason="Back to class, parents involved", outcome="no_concern"
        )
        touched.add(case.student_id)
    return touched


@pytest.mark.parametrize("rng_seed", [1, 2, 3])
def test_an_incremental_run_ends_where_a_full_run_ends(rng_seed):
    rng = random.Random(rng_seed)
    with time_machine.travel(START, tick=False) as clock:
        made = seed.seed_school(
            "inc", students=60, on_date=ON, rng=random.Random(rng_seed), rates=COMMON
        )
        school = made.schools[0]
        clock.shift(dt.timedelta(hours=1))
        first = evaluation_run(school=school, on_date=ON)
        assert not first.incremental and first.opened
        clock.shift(dt.timedelta(hours=1))
        touched = _random_changes(school, rng)
        clock.shift(dt.timedelta(hours=1))
        with transaction.atomic():
            incremental = evaluation_run(school=school, on_date=ON)
            after_incremental = snapshot(school)
            transaction.set_rollback(True)
        full = evaluation_run(school=school, on_date=ON, full=True)

    assert incremental.incremental and incremental.evaluated == len(touched)
    assert incremental.evaluated < Student.objects.filter(school=school).count() / 2
    assert not full.incremental
    assert snapshot(school) == after_incremental
    # The changes mattered: the run opened, reopened or updated cases.
    assert full.opened and (full.opened == incremental.opened)
    assert sorted(full.updated) == sorted(incremental.updated)


def test_nothing_changed_evaluates_nobody_and_a_rule_edit_or_a_new_date_is_full():
    with time_machine.travel(START, tick=False) as clock:
        made = seed.seed_school("inc", students=30, on_date=ON, rng=random.Random(4), rates=COMMON)
        school = made.schools[0]
        clock.shift(dt.timedelta(hours=1))
        evaluation_run(school=school, on_date=ON)
        clock.shift(dt.timedelta(hours=1))
        again = evaluation_run(school=school, on_date=ON)
        assert again.incremental and again.evaluated == 0
        assert not (again.opened or again.updated or again.unchanged)
        rule = school.warning_rules.get(key="irregular_sleep")
        rule.min_events_per_window = 2
        rule_update(rule=rule, by=None)
        assert not evaluation_run(school=school, on_date=ON).incremental
        assert evaluation_run(school=school, on_date=ON).incremental
        assert not evaluation_run(school=school, on_date=ON + dt.timedelta(days=1)).incremental
        assert not evaluation_run(
            school=school, on_date=ON + dt.timedelta(days=1), full=True
        ).incremental
        student = Student.objects.filter(school=school).first()
        student.is_active = False
        student.save(update_fields=["is_active"])
        assert not evaluation_run(school=school, on_date=ON + dt.timedelta(days=1)).incremental
