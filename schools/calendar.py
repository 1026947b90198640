"""The school calendar: which dates are school days.

A school day is a weekday (Monday to Friday) inside one of the school's terms that is not a
closure day. Rules count school days and school weeks, so holidays and closures are skipped
and nobody is absent on a day the school was closed. Reading a span costs two queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from .models import ClosureDay, School, Term

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class CalendarRead:
    """A school's terms and closure days as read once for `start`..`end`: the school days of
    any span inside it come without another query (a page that asks for three spans reads
    the calendar once)."""

    school_id: int
    start: dt.date
    end: dt.date
    terms: list[tuple[dt.date, dt.date]]
    closed: set[dt.date]

    def covers(self, school: School, start: dt.date, end: dt.date) -> bool:
        return school.pk == self.school_id and self.start <= start and end <= self.end


def calendar_read(school: School, start: dt.date, end: dt.date) -> CalendarRead:
    """The calendar of `school` from `start` to `end`, for school_days_between(calendar=)."""
    terms, closed = calendar_rows(school, start, end)
    return CalendarRead(school.pk, start, end, terms, closed)


def school_days_between(
    school: School, start: dt.date, end: dt.date, *, calendar: CalendarRead | None = None
) -> list[dt.date]:
    """Every school day from `start` to `end` inclusive, in order; from `calendar` when it
    covers the span, otherwise read (two queries)."""
    if end < start:
        return []
    if calendar is not None and calendar.covers(school, start, end):
        terms, closed = calendar.terms, calendar.closed
    else:
        terms, closed = calendar_rows(school, start, end)
    return school_days_from(terms, closed, start, end)


def calendar_rows(
    school: School, start: dt.date, end: dt.date
) -> tuple[list[tuple[dt.date, dt.date]], set[dt.date]]:
    """The school's terms overlapping `start`..`end` (as (start, end) pairs) and its closure
    days in that span: the rows school_days_from() needs. Two queries."""
    # No default ordering: the models' ("school", ...) would join the school to sort by its
    # code, on every read of a calendar.
    terms = list(
        Term.objects.filter(school=school, starts_on__lte=end, ends_on__gte=start)
        .order_by()
        .values_list("starts_on", "ends_on")
    )
    closed = set(
        ClosureDay.objects.filter(school=school, date__range=(start, end))
        .order_by()
        .values_list("date", flat=True)
    )
    return terms, closed


def school_days_from(
    terms: Iterable[tuple[dt.date, dt.date]],
    closed: set[dt.date],
    start: dt.date,
    end: dt.date,
) -> list[dt.date]:
    """The pure part of school_days_between: no database, easy to test."""
    days: set[dt.date] = set()
    for term_start, term_end in terms:
        day = max(start, term_start)
        last = min(end, term_end)
        while day <= last:
            if day.weekday() < 5 and day not in closed:
                days.add(day)
            day += ONE_DAY
    return sorted(days)


def is_school_day(school: School, day: dt.date) -> bool:
    return bool(school_days_between(school, day, day))


def last_school_days(school: School, until: dt.date, count: int, *, lookback_days: int = 400):
    """The last `count` school days up to and including `until` (fewer if the calendar has
    fewer within `lookback_days`)."""
    days = school_days_between(school, until - dt.timedelta(days=lookback_days), until)
    return days[-count:]
