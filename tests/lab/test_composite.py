"""Composite rules against their parts: all of them (or at least k) firing on the same school
day; in the preview, the backtest and the nightly evaluation."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core.exceptions import ValidationError

from alerts.backtest import Period, backtest_compute
from alerts.firing import firing_days, preview
from alerts.models import Case, CaseRule, WarningRule
from alerts.records import school_days_until
from alerts.services import evaluation_run
from schools.calendar import school_days_between
from schools.models import AttendanceRecord, Observation, ObservationSign, Student
from tests.factories import SchoolFactory, TermFactory

from .conftest import absence_rule

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 3, 27)


def observed_rule(school, weeks: int = 2) -> WarningRule:
    return WarningRule.objects.create(
        school=school,
        name=f"Isolation seen in each of {weeks} weeks",
        kind="sign_pattern",
        signs=["ISOLATION"],
        use_register=False,
        window_days=5,
        min_events_per_window=1,
        consecutive_windows=weeks,
    )


def composite(school, parts, needed=None, name="Absent and isolated") -> WarningRule:
    rule = WarningRule(
        school=school,
        name=name,
        kind="composite",
        components=[p.pk for p in parts],
        min_components=needed,
    )
    rule.full_clean()
    rule.save()
    return rule


@pytest.fixture
def noisy(school_a, alice):
    """40 students, each with random absences and isolation sightings over 12 weeks."""
    rng = random.Random(11)
    days = school_days_between(school_a, ON - dt.timedelta(days=100), ON)
    students = Student.objects.bulk_create(
        Student(school=school_a, code=f"S-{n:04d}") for n in range(40)
    )
    marks, observations = [], []
    for student in students:
        p_absent, p_seen = rng.choice([0.05, 0.3, 0.6]), rng.choice([0.05, 0.3, 0.6])
        for day in days:
            if rng.random() < p_absent:
                marks.append(
                    AttendanceRecord(
                        student=student, date=day, session="AM", status="unauthorised_absence"
                    )
                )
            if rng.random() < p_seen:
                observations.append(
                    Observation(student=student, observed_on=day, recorded_by=alice)
                )
    AttendanceRecord.objects.bulk_create(marks)
    ObservationSign.objects.bulk_create(
        ObservationSign(observation=o, sign="ISOLATION")
        for o in Observation.objects.bulk_create(observations)
    )
    return school_a


def test_all_of_them_is_the_days_each_fires_and_at_least_one_any(noisy):
    absent, seen = absence_rule(noisy, weeks=2), observed_rule(noisy, weeks=3)
    # The days a preview of 55 school days reads: those and the longest part's span before.
    days = school_days_until(noisy, ON, 55 + 15)
    parts = [firing_days(school=noisy, rule=r, days=days) for r in (absent, seen)]
    both = composite(noisy, [absent, seen])
    either = composite(noisy, [absent, seen], needed=1, name="Absent or isolated")

    together = firing_days(school=noisy, rule=both, days=days)
    anyone = firing_days(school=noisy, rule=either, days=days)
    students = set(parts[0]) | set(parts[1])
    expected_all = {
        s: sorted(set(parts[0].get(s, ())) & set(parts[1].get(s, ()))) for s in students
    }
    expected_any = {
        s: sorted(set(parts[0].get(s, ())) | set(parts[1].get(s, ()))) for s in students
    }
    assert together == {s: d for s, d in expected_all.items() if d}
    assert anyone == expected_any
    assert together and len(together) < len(anyone)

    # The preview's first firing day is the first day both fire.
    _days, rows = preview(school=noisy, rule=both, on_date=ON, history_school_days=55)
    first = days[-55]
    for sid, fired in together.items():
        shown = [days[i] for i in fired if days[i] >= first]
        if shown:
            assert rows[sid].first_fired_on == shown[0]


def test_a_composite_rule_opens_a_case_only_when_its_parts_hold_together(school_a, alice):
    school = school_a
    absent, seen = absence_rule(school, weeks=2), observed_rule(school, weeks=2)
    both = composite(school, [absent, seen])
    # The parts are switched off: only the composite may open cases.
    WarningRule.objects.filter(school=school).exclude(pk=both.pk).update(enabled=False)
    days = school_days_between(school, ON - dt.timedelta(days=30), ON)[-10:]
    together = Student.objects.create(school=school, code="S-0001")
    absent_only = Student.objects.create(school=school, code="S-0002")
    for day in days:
        for student in (together, absent_only):
            AttendanceRecord.objects.create(
                student=student, date=day, session="AM", status="unauthorised_absence"
            )
        seen_today = Observation.objects.create(
            student=together, observed_on=day, recorded_by=alice
        )
        ObservationSign.objects.create(observation=seen_today, sign="ISOLATION")

    summary = evaluation_run(school=school, on_date=ON)
    assert (
        summary.opened == ["S-0001"]
        or [s for s in summary.opened] == [together.code]
        or len(summary.opened) == 1
    )
    case = Case.objects.get()
    assert case.student == together
    (fired,) = CaseRule.objects.filter(case=case)
    assert fired.rule == both
    evidence = case.evidence[str(both.pk)]
    assert evidence["rule"] == "Absent and isolated" and len(evidence["windows"]) == 4


def test_a_composite_rule_can_be_backtested(noisy):
    absent, seen = absence_rule(noisy, weeks=2), observed_rule(noisy, weeks=2)
    both = composite(noisy, [absent, seen])
    period = Period(ON - dt.timedelta(days=70), ON)
    whole = backtest_compute(rule=both, period=period)
    part = backtest_compute(rule=absent, period=period)
    assert whole["rule"]["kind"] == "composite"
    assert 0 < whole["flagged"] <= part["flagged"]


def test_a_composite_rule_is_validated(school_a):
    absent = absence_rule(school_a, weeks=2)
    other_school = SchoolFactory(code="east")
    TermFactory(school=other_school)
    theirs = absence_rule(other_school, weeks=2)
    cases = [
        ([absent.pk], None, "at least 2"),
        ([absent.pk, theirs.pk], None, "No rule"),
        ([absent.pk, absent.pk], None, "twice"),
        ([absent.pk, observed_rule(school_a).pk], 3, "At most 2"),
    ]
    for ids, needed, message in cases:
        rule = WarningRule(
            school=school_a, name="C", kind="composite", components=ids, min_components=needed
        )
        with pytest.raises(ValidationError, match=message):
            rule.full_clean()
    nested = composite(
        school_a, [absent, WarningRule.objects.get(school=school_a, key="irregular_sleep")]
    )
    with pytest.raises(ValidationError, match="not composite"):
        WarningRule(
            school=school_a, name="D", kind="composite", components=[nested.pk, absent.pk]
        ).full_clean()


def test_a_composite_rule_is_edited_on_its_page_and_previewed(client, school_a, adam):
    from django.urls import reverse

    from benchmarks.preview import form_data

    absent, seen = absence_rule(school_a, weeks=2), observed_rule(school_a, weeks=2)
    both = composite(school_a, [absent, seen])
    client.force_login(adam)
    page = client.get(reverse("rule-edit", args=[both.pk])).content.decode()
    assert "the rules that must fire together" in page and absent.name in page
    data = form_data(both) | {"min_components": "1"}
    preview = client.post(reverse("rule-preview", args=[both.pk]), data)
    assert preview.status_code == 200 and preview.json()["ok"]
    saved = client.post(reverse("rule-edit", args=[both.pk]), data)
    assert saved.status_code == 302
    both.refresh_from_db()
    assert (both.min_components, both.version, sorted(both.components)) == (
        1,
        2,
        sorted([absent.pk, seen.pk]),
    )
    # A plain rule's page saves as before: its components stay empty.
    plain = client.post(reverse("rule-edit", args=[absent.pk]), form_data(absent))
    assert plain.status_code == 302
    absent.refresh_from_db()
    assert absent.components == [] and absent.min_components is None
