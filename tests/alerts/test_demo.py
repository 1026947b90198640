"""Done means: on the demo data, evaluation opens cases for the students seeded with a
persisting pattern and for none of the near misses; a second run opens nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from alerts.models import Case, Notification
from alerts.services import evaluation_run
from schools.demo import PATTERNS, seed_demo

pytestmark = pytest.mark.django_db

PERSISTING = ("persistent withdrawal", "avoiding school", "irregular sleep")


@pytest.mark.parametrize(
    "today",
    [dt.date(2026, 3, 25), dt.date(2026, 5, 11), dt.date(2026, 10, 2)],
    ids=["wednesday", "monday", "friday"],
)
def test_the_demo_school_opens_the_persisting_patterns_and_no_near_miss(today):
    school = seed_demo(today=today).school
    summary = evaluation_run(school=school, on_date=today)
    expected = sorted(code for story in PERSISTING for code in PATTERNS[story])
    assert sorted(summary.opened) == expected
    near_misses = {code for story, codes in PATTERNS.items() for code in codes} - set(expected)
    assert not near_misses & set(Case.objects.values_list("student__code", flat=True))
    # The bullied student's case is one step more severe than the others of the same rule.
    severity = dict(Case.objects.values_list("student__code", "severity"))
    assert (severity["S-0023"], severity["S-0007"]) == ("high", "medium")
    notifications = Notification.objects.count()
    again = evaluation_run(school=school, on_date=today)
    assert again.opened == [] and again.updated == []
    assert Notification.objects.count() == notifications
