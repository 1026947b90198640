"""The evidence chart marks holidays and short weeks instead of silently jumping over them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from alerts.charts import chart_geometry, weekly_series
from schools.models import ClosureDay, Term
from tests.factories import FlaggedCaseFactory, SchoolFactory


@pytest.fixture
def school(db):
    school = SchoolFactory(code="east", name="East College")
    # Autumn term to Fri 23 Oct, half-term week off, back on Mon 2 Nov; Wed 4 Nov closed.
    Term.objects.create(
        school=school, name="Autumn 1", starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2026, 10, 23)
    )
    Term.objects.create(
        school=school,
        name="Autumn 2",
        starts_on=dt.date(2026, 11, 2),
        ends_on=dt.date(2026, 12, 18),
    )
    ClosureDay.objects.create(school=school, date=dt.date(2026, 11, 4), reason="Training")
    return school


@pytest.mark.django_db
def test_a_half_term_is_a_break_and_a_closure_week_says_four_days(school):
    weeks = weekly_series(school=school, start=dt.date(2026, 10, 12), end=dt.date(2026, 11, 13))
    assert [w.starts_on for w in weeks] == [
        dt.date(2026, 10, 12),
        dt.date(2026, 10, 19),
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 9),
    ]
    chart = chart_geometry(weeks)
    (gap,) = chart["breaks"]
    assert gap["weeks"] == 1 and gap["title"] == "1 week without school (holiday)"
    # The break sits between the 19 Oct and the 2 Nov bars.
    xs = [x for x, _label in chart["labels"]]
    assert xs[1] < gap["x"] < xs[2]
    (short,) = chart["short_weeks"]
    assert (short["days"], short["title"]) == (
        4,
        "Week of 02 Nov: 4 school days (closure or holiday)",
    )


@pytest.mark.django_db
def test_the_case_page_draws_the_break(as_user, school, time_machine):
    from schools.models import Membership, Role
    from tests.factories import StudentFactory, UserFactory

    time_machine.move_to(dt.datetime(2026, 11, 13, 12, 0, tzinfo=dt.UTC), tick=False)
    counsellor = UserFactory(email="erin@east.test")
    Membership.objects.create(user=counsellor, school=school, role=Role.COUNSELLOR)
    case = FlaggedCaseFactory(
        student=StudentFactory(school=school, code="S-0500"), since=dt.date(2026, 10, 12)
    )
    html = as_user(counsellor).get(reverse("case-detail", args=[case.pk])).content.decode()
    assert 'data-testid="chart-break"' in html and "1 week without school (holiday)" in html
    assert "Holiday: weeks without school left out" in html
