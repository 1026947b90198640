"""The rule lab's pages: a school admin answers, from the pages alone, whom a rule would have
flagged over a past period, how early, and how many of them needed help."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from alerts.models import Outcome
from benchmarks.synthetic import generate_school
from schools.importers.pseudonym import Pseudonymiser
from schools.models import Student

from .conftest import END, START, absence_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def year(school_a):
    generate_school(school=school_a, students=60, start=START, end=END, seed=5)
    return school_a


def lab(client, rule, **params):
    params = {"start": START.isoformat(), "end": END.isoformat(), "min_lead_weeks": 2, **params}
    return client.get(reverse("rule-lab", args=[rule.pk]), params)


def figure(html: str, testid: str) -> str:
    return re.search(rf'data-testid="{testid}">([^<]*)<', html).group(1)


def test_the_figures_and_the_students_behind_them(client, year, adam):
    rule = absence_rule(year, weeks=3, days=2)
    client.force_login(adam)
    html = lab(client, rule).content.decode()
    tp = int(figure(html, "count-true_positive"))
    assert tp > 0
    assert figure(html, "precision").endswith("%") and figure(html, "recall").endswith("%")
    assert "school weeks" in figure(html, "median-lead")
    # The period line in the plural it needs: 60 students, 2 weeks; 1 week in the singular.
    assert "60 students on roll" in html and "at least 2 school weeks before" in html
    one_week = lab(client, rule, min_lead_weeks=1).content.decode()
    assert "at least 1 school week before" in one_week and "(s)" not in one_week
    # One click: only the true positives.
    only = lab(client, rule, show="true_positive").content.decode()
    assert only.count('data-testid="backtest-student"') == tp
    assert "Caught in time" in only


def test_a_sweep_draws_the_frontier_and_a_second_rule_sits_beside(client, year, adam):
    two = absence_rule(year, weeks=2, days=2)
    six = absence_rule(year, weeks=6, days=2)
    client.force_login(adam)
    html = lab(client, two, sweep="consecutive_windows", compare=six.pk).content.decode()
    assert html.count('data-testid="backtest-result"') == 2
    assert 'data-testid="frontier-chart"' in html
    # Ten values in the table; a point is drawn for each value that flagged a student with a
    # known outcome (a precision to draw).
    table = html[html.index('data-testid="frontier-table"') :]
    assert table.count("<tr><td>") == 10
    assert 5 <= html.count('data-testid="frontier-point"') <= 10
    assert "Absent in each of 6 weeks" in html


def test_another_schools_rule_or_a_teacher_gets_404(client, year, school_b, bella, alice):
    rule = absence_rule(year, weeks=3)
    for user in (bella, alice):
        client.force_login(user)
        assert lab(client, rule).status_code == 404


def test_a_future_period_is_refused_on_the_page(client, school_a, adam):
    rule = absence_rule(school_a, weeks=3)
    client.force_login(adam)
    html = lab(client, rule, end="2099-01-01").content.decode()
    assert 'role="alert"' in html and "future" in html


def test_importing_outcomes_from_the_page(client, school_a, adam):
    code = Pseudonymiser().code(school_a.code, "A17")
    Student.objects.create(school=school_a, code=code)
    client.force_login(adam)
    upload = SimpleUploadedFile(
        "o.csv", b"student_ref,outcome,date\nA17,concern_confirmed,2026-02-02\n"
    )
    html = client.post(reverse("outcomes-import"), {"file": upload}).content.decode()
    assert 'data-testid="outcomes-report"' in html and "1 new outcome" in html
    assert Outcome.objects.get().student.code == code
    bad = SimpleUploadedFile("o.csv", b"student_ref,outcome,date\nA17,fine,2026-02-02\n")
    html = client.post(reverse("outcomes-import"), {"file": bad}).content.decode()
    assert 'data-testid="outcomes-refused"' in html and "line 2" in html
