"""rule_preview: who a rule would flag, and on which past school day each would first have
fired, for saved or unsaved, enabled or disabled rules; one pass, not one evaluation per day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.engine import evaluate
from alerts.models import WarningRule
from alerts.services import rule_preview
from schools.calendar import school_days_between
from tests.clock import fixed_dates
from tests.factories import StudentFactory

from .conftest import ON, observe, rule, weeks

pytestmark = [pytest.mark.django_db, fixed_dates]


def test_first_firing_day_of_a_daily_pattern(north, student, alice, tom):
    # A withdrawal sign every school day from the first day of five weeks back, alternating
    # staff and two signs: each window holds once it has two of these days.
    start = weeks(north, count=5)[0][0]
    days = school_days_between(north, start, ON)
    for i, day in enumerate(days):
        observe(student, day, ["ISOLATION" if i % 2 else "DISTRESS"], alice if i % 2 else tom)
    preview = rule_preview(rule=rule(north, "persistent_withdrawal"), on_date=ON)
    (row,) = preview.students
    # The oldest of three 5-day windows must hold two pattern days: it ends on day index 1
    # of the pattern, so the rule first fires 10 school days after that.
    assert row.first_fired_on == days[1 + 10]
    assert row.flagged_on_date
    assert row.episodes == (days[11],)
    assert row.school_days_fired == len(days) - 11


def test_preview_agrees_with_evaluating_day_by_day(north, student, alice, tom):
    other = StudentFactory(school=north, code="S-0102")
    w = weeks(north, count=6)
    for week in (w[0], w[1], w[2], w[4], w[5]):
        for day in week[:3]:
            observe(student, day, ["FATIGUE"], alice)
    for week in w[2:4]:
        for day in week[1:4]:
            observe(other, day, ["LATE"], tom)
    sleep = rule(north, "irregular_sleep")
    preview = rule_preview(rule=sleep, on_date=ON, history_school_days=30)
    found = {s.code: s for s in preview.students}
    span = [d for week in w for d in week]
    for code, who in (("S-0101", student), ("S-0102", other)):
        fired = [
            d
            for d in span
            if any(
                m.student_id == who.pk
                for m in evaluate(school=north, on_date=d, rules=[sleep]).matches
            )
        ]
        assert fired, code
        assert found[code].first_fired_on == fired[0]
        assert found[code].school_days_fired == len(fired)
        assert found[code].flagged_on_date == (fired[-1] == ON)
    # S-0101: two episodes, broken by the week without signs.
    assert len(found["S-0101"].episodes) == 2


def test_a_disabled_rule_and_an_unsaved_rule_can_be_previewed(north, student, alice):
    for week in weeks(north, count=2):
        for day in week[:2]:
            observe(student, day, ["FATIGUE"], alice)
    sleep = rule(north, "irregular_sleep")
    WarningRule.objects.filter(pk=sleep.pk).update(enabled=False)
    sleep.refresh_from_db()
    assert rule_preview(rule=sleep, on_date=ON).students == []
    sleep.min_events_per_window = 2  # edited, not saved
    assert [s.code for s in rule_preview(rule=sleep, on_date=ON).flagged_on_date] == ["S-0101"]
    draft = WarningRule(
        school=north,
        name="Draft",
        kind="sign_pattern",
        signs=["FATIGUE"],
        min_events_per_window=2,
        consecutive_windows=1,
    )
    preview = rule_preview(rule=draft, on_date=ON)
    assert [s.code for s in preview.students] == ["S-0101"]
    assert preview.students[0].first_fired_on == weeks(north, count=2)[0][1]
    assert not WarningRule.objects.filter(name="Draft").exists()
    assert isinstance(preview.first_day, dt.date)


def test_a_preview_of_some_students_is_the_full_previews_rows_of_them(north, student, alice, tom):
    # The case page asks for its one student: the answer is that student's row of the
    # school's preview, and nobody else's.
    other = StudentFactory(school=north, code="S-0102")
    w = weeks(north, count=4)
    for who, observer in ((student, alice), (other, tom)):
        for week in w:
            for day in week[:3]:
                observe(who, day, ["FATIGUE"], observer)
    sleep = rule(north, "irregular_sleep")
    full = {s.code: s for s in rule_preview(rule=sleep, on_date=ON).students}
    assert set(full) == {"S-0101", "S-0102"}
    with CaptureQueriesContext(connection) as one:
        some = rule_preview(rule=sleep, on_date=ON, students=[other.pk])
    assert [s.code for s in some.students] == ["S-0102"]
    assert some.students[0] == full["S-0102"]
    # One student's day grid fits PostgreSQL's default work_mem: no transaction of its own to
    # raise it (three round trips on every case page); the school's preview raises it.
    with CaptureQueriesContext(connection) as school:
        rule_preview(rule=sleep, on_date=ON)
    raised = "SET LOCAL work_mem"
    assert not any(raised in q["sql"] for q in one) and any(raised in q["sql"] for q in school)
