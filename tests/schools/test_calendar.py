"""The school calendar: weekdays inside a term, minus closure days."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schools.calendar import (
    calendar_read,
    is_school_day,
    last_school_days,
    school_days_between,
    school_days_from,
)
from schools.models import ClosureDay, Term
from tests.factories import SchoolFactory

MON = dt.date(2025, 11, 3)  # a Monday


def d(offset: int) -> dt.date:
    return MON + dt.timedelta(days=offset)


@pytest.fixture
def school(db):
    school = SchoolFactory(code="cal")
    # Autumn term: Mon 3 Nov to Fri 19 Dec; spring term from Mon 5 Jan.
    Term.objects.create(school=school, name="Autumn", starts_on=d(0), ends_on=d(46))
    Term.objects.create(
        school=school, name="Spring", starts_on=dt.date(2026, 1, 5), ends_on=dt.date(2026, 3, 27)
    )
    ClosureDay.objects.create(school=school, date=d(2), reason="Training day")  # a Wednesday
    return school


def test_a_week_with_a_closure_has_four_school_days(school):
    assert school_days_between(school, d(0), d(6)) == [d(0), d(1), d(3), d(4)]


def test_weekends_holidays_and_closures_are_not_school_days(school):
    assert is_school_day(school, d(0))
    assert not is_school_day(school, d(2))  # closure
    assert not is_school_day(school, d(5))  # Saturday
    assert not is_school_day(school, dt.date(2025, 12, 24))  # between terms
    assert is_school_day(school, dt.date(2026, 1, 5))


def test_a_span_across_the_holiday_skips_it(school):
    days = school_days_between(school, dt.date(2025, 12, 18), dt.date(2026, 1, 6))
    assert days == [
        dt.date(2025, 12, 18),
        dt.date(2025, 12, 19),
        dt.date(2026, 1, 5),
        dt.date(2026, 1, 6),
    ]


def test_last_school_days_counts_back_over_the_holiday(school):
    days = last_school_days(school, dt.date(2026, 1, 6), 4)
    assert days == [
        dt.date(2025, 12, 18),
        dt.date(2025, 12, 19),
        dt.date(2026, 1, 5),
        dt.date(2026, 1, 6),
    ]


def test_another_schools_calendar_is_not_used(school):
    other = SchoolFactory(code="other")
    ClosureDay.objects.create(school=other, date=d(3))
    assert d(3) in school_days_between(school, d(0), d(4))
    assert school_days_between(other, d(0), d(4)) == []  # no terms at all


def test_an_empty_or_backwards_span_has_no_days(school):
    assert school_days_between(school, d(4), d(0)) == []


def test_reading_a_span_costs_two_queries(school, django_assert_num_queries):
    with django_assert_num_queries(2):
        school_days_between(school, d(0), dt.date(2026, 3, 27))


def test_a_calendar_read_once_answers_any_span_inside_it_without_a_query(
    school, django_assert_num_queries
):
    with django_assert_num_queries(2):
        calendar = calendar_read(school, d(0), dt.date(2026, 3, 27))
    inside = (d(1), dt.date(2026, 1, 9))
    with django_assert_num_queries(0):
        days = school_days_between(school, *inside, calendar=calendar)
    assert days == school_days_between(school, *inside)
    assert d(2) not in days and dt.date(2026, 1, 5) in days


def test_a_span_outside_the_calendar_read_or_another_school_is_read_afresh(
    school, django_assert_num_queries
):
    calendar = calendar_read(school, d(7), d(20))
    with django_assert_num_queries(2):
        days = school_days_between(school, d(0), d(6), calendar=calendar)
    assert days == [d(0), d(1), d(3), d(4)]
    other = SchoolFactory(code="other")
    with django_assert_num_queries(2):
        assert school_days_between(other, d(7), d(11), calendar=calendar) == []


dates = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2026, 12, 31))


@given(
    terms=st.lists(st.tuples(dates, dates).map(sorted).map(tuple), max_size=4),
    closed=st.sets(dates, max_size=20),
    start=dates,
    end=dates,
)
def test_school_days_are_exactly_the_open_weekdays_in_a_term(terms, closed, start, end):
    days = school_days_from(terms, closed, start, end)
    assert days == sorted(set(days))
    span = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    expected = [
        day
        for day in span
        if day.weekday() < 5 and day not in closed and any(a <= day <= b for a, b in terms)
    ]
    assert days == expected
