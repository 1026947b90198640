"""The rule lab in Chromium: a school admin measures a rule against last year's outcomes
from the pages alone — whom it would have flagged, how early, how many needed help — sweeps
its persistence, and opens the students behind a figure; a counsellor resolves a case with
its outcome."""

from __future__ import annotations

import pytest

from alerts.models import CaseStatus, Outcome, WarningRule
from benchmarks.synthetic import generate_school
from tests.factories import FlaggedCaseFactory
from tests.lab.conftest import END, START

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_answers_whom_how_early_and_how_many_from_the_pages(open_browser, school_a, adam):
    generate_school(school=school_a, students=60, start=START, end=END, seed=5)
    WarningRule.objects.create(
        school=school_a,
        name="Absent in each of 3 weeks",
        kind="sign_pattern",
        signs=["ABSENCE"],
        count_unit="days",
        window_days=5,
        min_events_per_window=1,
        consecutive_windows=3,
    )
    admin = open_browser()
    admin.login(adam)
    page = admin.page
    page.goto("/rules/")
    row = page.get_by_test_id("rule-row").filter(has_text="Absent in each of 3 weeks")
    row.get_by_role("link", name="backtest").click()
    page.get_by_label("From").fill(START.isoformat())
    page.get_by_label("To").fill(END.isoformat())
    page.get_by_label("Sweep one parameter").select_option("consecutive_windows")
    page.get_by_role("button", name="Run the backtest").click()

    figures = page.get_by_test_id("backtest-figures")
    figures.wait_for()
    caught = int(page.get_by_test_id("count-true_positive").inner_text())
    assert caught > 0
    assert page.get_by_test_id("precision").inner_text().endswith("%")
    assert "school weeks" in page.get_by_test_id("median-lead").inner_text()
    assert page.get_by_test_id("frontier-chart").is_visible()
    admin.shot("desktop-rule-lab")

    # One click: the students behind "caught in time", with how early each was flagged.
    figures.get_by_role("link", name="Caught in time (true positives)").click()
    rows = page.get_by_test_id("backtest-student")
    rows.first.wait_for()
    assert rows.count() == caught
    assert "Caught in time" in rows.first.inner_text()

    phone = open_browser(phone=True)
    phone.login(adam)
    phone.page.goto(page.url)
    phone.page.get_by_test_id("backtest-figures").wait_for()
    width, client = phone.page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width <= client
    phone.shot("phone-rule-lab")


def test_a_counsellor_resolves_a_case_with_its_outcome(open_browser, school_a, carol, student_a):
    case = FlaggedCaseFactory(
        student=student_a, status=CaseStatus.IN_PROGRESS, acknowledged_by=carol
    )
    counsellor = open_browser()
    counsellor.login(carol)
    page = counsellor.page
    page.goto(f"/cases/{case.pk}/")
    page.get_by_text("Resolve", exact=True).click()
    page.get_by_label("What was the outcome?").select_option("mental_health_referral")
    page.get_by_label("Why is the case resolved?").fill("Referred; attending sessions weekly.")
    page.get_by_role("button", name="Resolve the case").click()
    page.get_by_text("Resolved.").wait_for()
    (outcome,) = Outcome.objects.filter(student=student_a)
    assert (outcome.kind, outcome.case_id) == ("mental_health_referral", case.pk)
