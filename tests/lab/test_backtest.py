"""The backtest against a direct count over the same generated rows: a synthetic school year
with students who withdraw (a persisting pattern that starts some weeks before the outcome),
students with one bad week and nothing after, and noise."""

from __future__ import annotations

import statistics

import pytest

from alerts.backtest import Period, backtest_compute
from alerts.models import POSITIVE_OUTCOMES
from benchmarks.synthetic import generate_school
from schools.calendar import school_days_between

from .conftest import END, START, absence_rule

pytestmark = pytest.mark.django_db


def direct_first_firing(days, absent, weeks: int, per_week: int):
    """The first school day on which each of the last `weeks` blocks of 5 school days,
    back to back, holds at least `per_week` days with an absence: counted here, by hand."""
    for end in range(5 * weeks - 1, len(days)):
        ok = True
        for j in range(weeks):
            last = end - 5 * j
            window = days[last - 4 : last + 1]
            if sum(d in absent for d in window) < per_week:
                ok = False
                break
        if ok:
            return days[end]
    return None


def direct_figures(truth, days, weeks: int, per_week: int, min_lead_weeks: int):
    verdicts = {}
    leads = []
    for sid, absent in truth.absent_days.items():
        fired = direct_first_firing(days, absent, weeks, per_week)
        kind, on = truth.outcomes.get(sid, (None, None))
        if kind in POSITIVE_OUTCOMES:
            lead = fired and sum(1 for d in days if fired < d <= on)
            if fired is not None and fired <= on and lead >= 5 * min_lead_weeks:
                verdicts[sid] = "true_positive"
                leads.append(lead / 5)
            else:
                verdicts[sid] = "missed"
        elif kind is not None:
            verdicts[sid] = "false_positive" if fired else "true_negative"
        elif fired is not None:
            verdicts[sid] = "flagged_no_outcome"
    return verdicts, leads


@pytest.fixture
def year(school_a):
    truth = generate_school(school=school_a, students=160, start=START, end=END, seed=7)
    return school_a, truth


def test_the_backtest_counts_exactly_what_a_direct_count_finds(year):
    school, truth = year
    rule = absence_rule(school, weeks=3, days=1)
    result = backtest_compute(rule=rule, period=Period(START, END), min_lead_weeks=2)

    days = school_days_between(school, START, END)
    verdicts, leads = direct_figures(truth, days, weeks=3, per_week=1, min_lead_weeks=2)
    codes = {s.pk: s.code for s in school.students.all()}
    found = {row["student"]: row["verdict"] for row in result["students"]}
    assert found == {codes[sid]: v for sid, v in verdicts.items()}
    counts = result["counts"]
    for verdict in ("true_positive", "false_positive", "missed", "true_negative"):
        assert counts[verdict] == sum(v == verdict for v in verdicts.values()), verdict
    tp, fp = counts["true_positive"], counts["false_positive"]
    assert tp > 0 and counts["missed"] >= 0
    assert result["precision"] == round(tp / (tp + fp), 4)
    assert result["recall"] == round(tp / (tp + counts["missed"]), 4)
    assert result["median_lead_weeks"] == round(statistics.median(leads), 1)
    # Every student on roll during the year counts, the leavers too.
    assert result["students_on_roll"] == 160
    assert truth.left_on, "the generated year has leavers"
    leavers = {codes[sid] for sid in truth.left_on}
    rows = {r["student"]: r for r in result["students"]}
    assert leavers <= set(rows)
    assert any(rows[code]["first_fired_on"] for code in leavers), "a leaver was flagged"


def test_more_persistence_raises_precision_and_lowers_recall(year):
    school, _truth = year
    rule = absence_rule(school, weeks=1, days=1)
    result = backtest_compute(
        rule=rule,
        period=Period(START, END),
        min_lead_weeks=1,
        sweep="consecutive_windows",
        values=[1, 2, 3, 4, 6, 8],
    )
    points = result["sweep"]["points"]
    assert [p["value"] for p in points] == ["1", "2", "3", "4", "6", "8"]
    recalls = [p["recall"] for p in points]
    flagged = [p["flagged"] for p in points]
    # A rule that needs more weeks in a row fires on a subset of the days: never more.
    assert recalls == sorted(recalls, reverse=True)
    assert flagged == sorted(flagged, reverse=True)
    assert points[0]["precision"] < points[2]["precision"] <= points[-1]["precision"]
    assert recalls[0] > recalls[-1]
    assert points[0]["current"] and not any(p["current"] for p in points[1:])


@pytest.mark.parametrize("kind", ["sign_pattern", "attendance_rate"])
def test_a_persistence_sweep_is_what_measuring_each_value_apart_gives(year, kind):
    school, _truth = year
    rule = absence_rule(school, weeks=2, days=2)
    if kind == "attendance_rate":
        rule.kind, rule.attendance_threshold, rule.signs = "attendance_rate", 70, []
        rule.save()
    values = [1, 2, 3, 5, 8]
    swept = backtest_compute(
        rule=rule, period=Period(START, END), sweep="consecutive_windows", values=values
    )["sweep"]["points"]
    for point, windows in zip(swept, values, strict=True):
        rule.consecutive_windows = windows
        alone = backtest_compute(rule=rule, period=Period(START, END))
        assert point["value"] == str(windows)
        assert (point["flagged"], point["true_positives"], point["false_positives"]) == (
            alone["flagged"],
            alone["counts"]["true_positive"],
            alone["counts"]["false_positive"],
        ), windows
        assert point["missed"] == alone["counts"]["missed"]
        assert point["median_lead_weeks"] == alone["median_lead_weeks"]
