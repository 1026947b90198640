"""The demo school in Japanese and in Italian: each country's school-year shape, and the same
stories found by the rules when the last twelve school weeks cross a break or the start of a
school year (the Japanese year starts in April, the Italian one in mid-September)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from alerts.models import Case
from alerts.services import evaluation_run
from schools.calendar import school_days_between
from schools.demo import PATTERNS, seed_demo
from schools.models import ClosureDay, Observation, School, Term

pytestmark = pytest.mark.django_db

PERSISTING = ("persistent withdrawal", "avoiding school", "irregular sleep")


@pytest.mark.parametrize(
    ("language", "today"),
    [
        ("ja", dt.date(2026, 5, 13)),  # back from the spring break, into a new school year
        ("ja", dt.date(2026, 9, 16)),  # back from the long summer break
        ("it", dt.date(2026, 10, 7)),  # a new school year after the summer break
        ("it", dt.date(2026, 1, 21)),  # back from the Christmas break
    ],
    ids=["ja-new-year", "ja-after-summer", "it-new-year", "it-after-christmas"],
)
def test_the_stories_are_found_across_a_break_or_a_school_year(language, today):
    school = seed_demo(today=today, language=language).school
    summary = evaluation_run(school=school, on_date=today)
    expected = sorted(code for story in PERSISTING for code in PATTERNS[story])
    assert sorted(summary.opened) == expected
    near_misses = {code for codes in PATTERNS.values() for code in codes} - set(expected)
    opened = set(
        Case.objects.filter(student__school=school).values_list("student__code", flat=True)
    )
    assert not near_misses & opened
    # The twelve weeks of records really do reach back over the break.
    first = Observation.objects.filter(student__school=school).order_by("observed_on").first()
    terms = list(Term.objects.filter(school=school, starts_on__lte=today).order_by("starts_on"))
    assert first.observed_on < terms[-1].starts_on <= today


def test_the_japanese_school_year_starts_in_april_with_three_terms_and_a_summer_break():
    school = seed_demo(today=dt.date(2026, 11, 4), language="ja").school
    assert (school.default_language, school.time_zone) == ("ja", "Asia/Tokyo")
    this_year = [
        (t.starts_on, t.ends_on)
        for t in Term.objects.filter(school=school, name__startswith="2026年度")
    ]
    assert len(this_year) == 3
    assert this_year[0][0] == dt.date(2026, 4, 7)
    assert this_year[-1][1] == dt.date(2027, 3, 24)
    summer = school_days_between(school, dt.date(2026, 7, 20), dt.date(2026, 8, 31))
    assert summer == []
    # A national holiday on a weekday in term is no school day.
    assert ClosureDay.objects.filter(school=school, date=dt.date(2026, 11, 3)).exists()


def test_the_italian_school_year_runs_from_mid_september_to_early_june():
    school = seed_demo(today=dt.date(2026, 11, 4), language="it").school
    assert (school.default_language, school.time_zone) == ("it", "Europe/Rome")
    days = school_days_between(school, dt.date(2026, 6, 1), dt.date(2027, 6, 30))
    assert days[0] == dt.date(2026, 6, 1)  # the last week of the year before
    year = [d for d in days if d >= dt.date(2026, 9, 1)]
    assert (year[0], year[-1]) == (dt.date(2026, 9, 15), dt.date(2027, 6, 4))
    assert dt.date(2026, 12, 8) not in days and dt.date(2027, 4, 26) in days
    assert dt.date(2027, 3, 29) not in days  # Easter Monday 2027


def test_each_language_is_its_own_school_and_the_command_names_them():
    out = io.StringIO()
    for language in ("en", "ja", "it"):
        call_command("seed_demo", "--language", language, stdout=out)
    assert set(School.objects.values_list("code", "default_language")) == {
        ("demo", "en-gb"),
        ("demo-ja", "ja"),
        ("demo-it", "it"),
    }
    assert "teacher@demo-ja.school" in out.getvalue()
    with pytest.raises(CommandError, match="choose one of"):
        call_command("seed_demo", "--language", "fr", stdout=out)
