"""The rule lab's scenarios: a synthetic school year of a school with a known ground truth.

The period is a past school year inside school_a's term (1 Sep 2025 - 31 Jul 2027), so the
scenarios read the same whatever day the suite runs.
"""

from __future__ import annotations

import datetime as dt

import pytest

from alerts.models import WarningRule

START, END = dt.date(2025, 9, 1), dt.date(2026, 7, 17)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def absence_rule(school, weeks: int, days: int = 1, name: str = "") -> WarningRule:
    """ "Absent on at least `days` school days in each of `weeks` school weeks in a row"."""
    return WarningRule.objects.create(
        school=school,
        name=name or f"Absent in each of {weeks} weeks",
        kind="sign_pattern",
        signs=["ABSENCE"],
        count_unit="days",
        use_register=True,
        window_days=5,
        min_events_per_window=days,
        min_distinct_signs=1,
        min_distinct_observers=1,
        consecutive_windows=weeks,
    )
