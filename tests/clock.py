"""The day the tests run on: a school day frozen with time-machine, not the machine's date.

A test sees `timezone.now()`, `date.today()` and `time.time()` at SCHOOL_DAY, 10:00 UTC,
ticking on from there; tests/factories.py derives terms and default dates from it, so the
suite passes on any real date. Three ways to choose the day:

- TEST_SCHOOL_DAY=2031-03-12 (an ISO weekday) moves every unpinned test to that day, to show
  the suite does not depend on the default one.
- `@pytest.mark.school_day("2026-03-30")` pins a scenario written with fixed dates to a day
  after them, so the frozen day and the fixed dates stay together whatever TEST_SCHOOL_DAY
  says; `fixed_dates` below is that mark for the scenarios of 2025-26.
- `@pytest.mark.real_clock` keeps the real clock. Tests that another process joins keep it
  too (marked `browser` or `worker`): Chromium and a Celery worker read the real clock, and a
  session cookie or a due time written at a frozen hour would look expired or not yet due
  to them. Such tests build their data from the real today through the same factories.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest

# A Wednesday in the autumn term.
DEFAULT_SCHOOL_DAY = dt.date(2026, 12, 2)

# The day scenarios written with fixed dates (between September 2025 and December 2026, in
# the term the factories give on that day) run on: `pytestmark = fixed_dates`.
FIXED_DATES_DAY = dt.date(2026, 12, 2)
fixed_dates = pytest.mark.school_day(FIXED_DATES_DAY.isoformat())
HOUR = dt.time(10, 0, tzinfo=dt.UTC)
REAL_CLOCK_MARKERS = ("real_clock", "browser", "worker")


def default_school_day() -> dt.date:
    raw = os.environ.get("TEST_SCHOOL_DAY")
    if not raw:
        return DEFAULT_SCHOOL_DAY
    day = dt.date.fromisoformat(raw)
    if day.weekday() >= 5:
        raise ValueError(f"TEST_SCHOOL_DAY={raw} is a weekend: choose a weekday")
    return day


def school_day_for(node) -> dt.datetime | None:
    """The instant a test travels to, or None for the real clock."""
    if any(node.get_closest_marker(name) for name in REAL_CLOCK_MARKERS):
        return None
    pinned = node.get_closest_marker("school_day")
    day = dt.date.fromisoformat(str(pinned.args[0])) if pinned else default_school_day()
    return dt.datetime.combine(day, HOUR)


def school_year_start(day: dt.date) -> dt.date:
    """1 September of the school year holding `day` (August belongs to the coming year)."""
    return dt.date(day.year if day.month >= 8 else day.year - 1, 9, 1)
