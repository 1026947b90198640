"""Rules, stages and the chart on a Japanese school calendar (April to March, three terms, a
long summer break): school weeks run on across the spring break into a new school year and
across the summer break, stages count calendar months through the breaks, and the chart has
no empty weeks for the holidays."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from alerts.charts import chart_geometry, weekly_series
from alerts.models import Case, Stage
from alerts.services import evaluation_run
from schools.demo_calendars import japanese_calendar
from schools.models import ClosureDay, Role, Term
from tests.factories import MembershipFactory, SchoolFactory, StudentFactory, UserFactory

from .conftest import weeks, withdrawal_week

pytestmark = pytest.mark.django_db

NEW_YEAR = dt.date(2026, 4, 7)  # the first day of the 2026 school year


@pytest.fixture
def osaka():
    school = SchoolFactory(code="osaka", time_zone="Asia/Tokyo", default_language="ja")
    terms, closures = japanese_calendar(dt.date(2026, 11, 2))
    for name, start, end in terms:
        Term.objects.create(school=school, name=name, starts_on=start, ends_on=end)
    for day, reason in closures:
        if day.weekday() < 5:
            ClosureDay.objects.create(school=school, date=day, reason=reason)
    counsellor = UserFactory(email="counsellor@osaka.test")
    MembershipFactory(user=counsellor, school=school, role=Role.COUNSELLOR)
    school.designated_counsellor = counsellor
    school.save(update_fields=["designated_counsellor"])
    return school


@pytest.fixture
def staff(osaka):
    people = [UserFactory(email=f"t{i}@osaka.test") for i in (1, 2)]
    for person in people:
        MembershipFactory(user=person, school=osaka, role=Role.TEACHER)
    return people


def test_three_school_weeks_in_a_row_may_straddle_the_spring_break(osaka, staff):
    """Two weeks of March and one of April are three school weeks in a row: the spring break
    between two school years is no school week, so the pattern has persisted."""
    on = dt.date(2026, 4, 13)
    student = StudentFactory(school=osaka, code="S-0101")
    spans = weeks(osaka, on=on, count=3)
    assert spans[0][0] < dt.date(2026, 3, 25) and spans[-1][-1] >= NEW_YEAR
    for week in spans:
        withdrawal_week(student, week, *staff)
    summary = evaluation_run(school=osaka, on_date=on)
    assert summary.opened == ["S-0101"]
    case = Case.objects.get(student=student)
    evidence = sorted(case.evidence_rows.values_list("on_date", flat=True))
    assert evidence[0] < dt.date(2026, 3, 25) and evidence[-1] >= NEW_YEAR


def test_a_gap_in_term_is_not_bridged_by_the_break(osaka, staff):
    """Control: the same observations with one school week of silence in April do not fire."""
    on = dt.date(2026, 4, 20)
    student = StudentFactory(school=osaka, code="S-0102")
    spans = weeks(osaka, on=on, count=4)
    for week in (spans[0], spans[1], spans[3]):  # the third week, in April, is empty
        withdrawal_week(student, week, *staff)
    assert evaluation_run(school=osaka, on_date=on).opened == []


def test_stages_count_calendar_months_through_the_summer_break(osaka, staff):
    """A pattern that began in June and still holds in September is three months old: the
    summer break does not stop the clock, since the student is withdrawn in the break too."""
    student = StudentFactory(school=osaka, code="S-0103")
    before = dt.date(2026, 7, 17)
    for week in weeks(osaka, on=before, count=6):
        withdrawal_week(student, week, *staff)
    evaluation_run(school=osaka, on_date=before)
    case = Case.objects.get(student=student)
    assert case.stage == Stage.WATCH
    since = case.persisted_since
    assert since < dt.date(2026, 6, 20)
    after = dt.date(2026, 9, 18)
    for week in weeks(osaka, on=after, count=3):
        withdrawal_week(student, week, *staff)
    evaluation_run(school=osaka, on_date=after)
    case.refresh_from_db()
    # The same case, its pattern as old as ever (or found to be older), now three months on.
    assert case.persisted_since <= since
    assert case.stage == Stage.PRE_WITHDRAWAL


def test_the_chart_skips_the_breaks_and_speaks_japanese(osaka, staff):
    student = StudentFactory(school=osaka, code="S-0104")
    series = weekly_series(
        school=osaka, start=dt.date(2026, 3, 2), end=dt.date(2026, 4, 24), student=student
    )
    mondays = [w.starts_on for w in series]
    # March 2-23 (four weeks), then April 6-20: no week for the spring break of March 30.
    assert dt.date(2026, 3, 30) not in mondays
    assert mondays[0] == dt.date(2026, 3, 2) and mondays[-1] == dt.date(2026, 4, 20)
    assert len(mondays) == 7
    with translation.override("ja"):
        chart = chart_geometry(series)
    labels = [label for _x, label in chart["labels"]]
    assert labels[-1] == "4/20"
    assert all("週" in title for _x, _y, title in chart["dots"])
