"""A large school's backtest runs on a real Celery worker (Redis broker, the test database):
the request answers 202 at once, the run's progress moves, and the result lands on it."""

from __future__ import annotations

import pytest

from alerts.backtest import Period, backtest_compute
from alerts.models import BacktestRun, WarningRule
from benchmarks.synthetic import generate_school
from schools.models import Membership, Role, School, Term
from tests.factories import UserFactory
from tests.processes import wait_while_pending

from .conftest import END, START

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TASK = "alerts.tasks.run_backtest"


def test_a_large_schools_backtest_runs_on_the_worker(api, worker_for, settings):
    worker_for(TASK)
    settings.BACKTEST_INLINE_MAX_STUDENTS = 10
    school = School.objects.create(code="north", name="North")
    Term.objects.create(school=school, name="Year", starts_on="2025-09-01", ends_on="2027-07-31")
    adam = UserFactory(email="adam@north.test")
    Membership.objects.create(user=adam, school=school, role=Role.SCHOOL_ADMIN)
    generate_school(school=school, students=40, start=START, end=END, seed=9)
    rule = WarningRule.objects.create(
        school=school,
        name="Absent in each of 3 weeks",
        kind="sign_pattern",
        signs=["ABSENCE"],
        count_unit="days",
        window_days=5,
        min_events_per_window=2,
        consecutive_windows=3,
    )
    client = api.as_(adam)
    body = {
        "start": START.isoformat(),
        "end": END.isoformat(),
        "sweep": "consecutive_windows",
        "values": [1, 2, 3, 4],
    }
    response = client.post(f"/api/rules/{rule.pk}/backtest/", body, format="json")
    assert response.status_code == 202, response.content
    (run,) = response.json()["runs"]
    assert run["status"] in ("queued", "running")

    run = wait_while_pending(
        lambda: client.get(f"/api/backtests/{run['id']}/").json(),
        timeout=90,
        what="the worker to finish the backtest",
    )
    assert run["status"] == "done", run
    assert run["progress"] == 1.0
    stored = BacktestRun.objects.get(pk=run["id"])
    assert (stored.done_steps, stored.total_steps) == (5, 5)
    direct = backtest_compute(
        rule=rule, period=Period(START, END), sweep="consecutive_windows", values=[1, 2, 3, 4]
    )
    assert run["result"]["counts"] == direct["counts"]
    assert run["result"]["sweep"]["points"] == direct["sweep"]["points"]
    # Asked again: the kept run, at once.
    again = client.post(f"/api/rules/{rule.pk}/backtest/", body, format="json")
    assert again.status_code == 200 and again.json()["runs"][0]["id"] == run["id"]
