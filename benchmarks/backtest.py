"""The rule lab: a backtest of one rule over a school year for a 1,000-student school, a
10-point sweep, and the live preview of the edit page for the same school.

The school (benchmarks/synthetic.py, dense=True): the last complete school year, every
session of every student in the register (present marks stored too), students who withdraw
(a persisting pattern from some weeks before their outcome), students with one bad week, and
noise; the outcomes imported. In a fresh process with DEBUG off: the backtest of "absent on
at least 2 days in each of 3 school weeks" over the year (computed, not read from a kept
run), the sweep of its persistence from 1 to 10 weeks, opening the kept backtest again, and
the rule's edit-page preview (`POST /rules/<id>/preview/`).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time

from . import seed, setup
from .setup import Target

STUDENTS = 1_000
CODE = "lab"
TITLE = f"Rule lab: backtest and sweep, {STUDENTS:,}-student school, dense register"


def _year() -> tuple[dt.date, dt.date]:
    """The last complete school year of seed.calendar, before today."""
    today = dt.date.today()
    year = today.year - 1 if today.month >= 8 else today.year - 2
    return dt.date(year, 9, 1), dt.date(year + 1, 7, 17)


def run() -> dict:
    from alerts.models import WarningRule
    from core.models import User
    from schools.models import AttendanceRecord, ClosureDay, Membership, Role, School, Term

    from .synthetic import generate_school

    start, end = _year()
    school = School.objects.create(code=CODE, name="Benchmark school lab")
    terms, closures = seed.calendar(end)
    Term.objects.bulk_create(
        Term(school=school, name=n, starts_on=s, ends_on=e) for n, s, e in terms
    )
    ClosureDay.objects.bulk_create(ClosureDay(school=school, date=d) for d in closures)
    admin = User.objects.create_user(email=f"admin@{CODE}.bench", password=None)
    Membership.objects.create(user=admin, school=school, role=Role.SCHOOL_ADMIN)
    started = time.perf_counter()
    truth = generate_school(
        school=school, students=STUDENTS, start=start, end=end, seed=2026, dense=True
    )
    generated = time.perf_counter() - started
    WarningRule.objects.create(
        school=school,
        name="Absent in each of 3 weeks",
        kind="sign_pattern",
        signs=["ABSENCE"],
        count_unit="days",
        use_register=True,
        window_days=5,
        min_events_per_window=2,
        consecutive_windows=3,
    )
    setup.analyze()
    rows = AttendanceRecord.objects.filter(student__school=school).count()
    measured = setup.run_fresh_pages("benchmarks.backtest")
    figures = {
        "students": STUDENTS,
        "period": f"{start.isoformat()} to {end.isoformat()}",
        "register rows (every session)": rows,
        "withdrawing students (known outcome)": sum(
            k == "withdrawing" for k in truth.kinds.values()
        ),
        "generate (s)": round(generated, 1),
        **measured,
    }
    backtest_s = measured["backtest of one rule over the year (s)"]
    preview_s = measured["edit-page preview of the rule (s)"]
    targets = [
        Target(
            "backtest of one rule over a school year, 1,000 students",
            f"{backtest_s:.2f} s (precision {measured['precision']}, recall {measured['recall']})",
            "< 10 s",
            backtest_s < 10,
        ),
        Target(
            "10-point sweep of that rule",
            f"{measured['10-point sweep (s)']:.2f} s",
            "recorded",
            None,
        ),
        Target(
            "edit-page preview, the same school",
            f"{preview_s:.2f} s",
            "< 1 s",
            preview_s < 1,
        ),
    ]
    rows_md = "\n".join(
        f"| {t.figure} | {t.measured} | {t.target} | {t.verdict} |" for t in targets
    )
    setup.record(
        "backtest",
        f"""
## {TITLE}

`make bench` (module `benchmarks/backtest.py`): one school of {STUDENTS:,} students made by
`benchmarks/synthetic.py` over the last complete school year ({start.isoformat()} to
{end.isoformat()}), every session in the register (present marks stored too): students who
withdraw (absent some days of every week from an onset 4 to 12 weeks before their outcome),
students with one bad week and nothing after, random absences; the outcomes imported, the
tables analysed. In a fresh process (DEBUG off): the backtest of "absent on at least 2 days in
each of 3 school weeks" over the year, computed (not a kept run); the sweep of its persistence
from 1 to 10 weeks; the kept run opened again; the rule's edit-page preview (the edit page
opened first, not timed; the preview request timed). Load average
{setup.load_average()} at the end, measured {dt.date.today().isoformat()}.

| target | measured | wanted | |
|---|---|---|---|
{rows_md}

{setup.table(figures)}
""",
    )
    return {**figures, "targets": targets}


def _child() -> dict:
    from django.test import Client
    from django.urls import reverse

    from alerts.backtest import Period, backtest_compute
    from alerts.backtest_runs import backtest_request
    from alerts.models import WarningRule
    from core.models import User

    from .preview import form_data

    start, end = _year()
    rule = WarningRule.objects.select_related("school").get(
        school__code=CODE, name="Absent in each of 3 weeks"
    )
    admin = User.objects.get(email=f"admin@{CODE}.bench")
    period = Period(start, end)

    began = time.perf_counter()
    result = backtest_compute(rule=rule, period=period)
    one = time.perf_counter() - began

    began = time.perf_counter()
    swept = backtest_compute(
        rule=rule, period=period, sweep="consecutive_windows", values=list(range(1, 11))
    )
    sweep_s = time.perf_counter() - began - one  # the sweep's ten points, beyond the rule

    backtest_request(rule=rule, start=start, end=end, by=admin, run_inline=True)
    began = time.perf_counter()
    backtest_request(rule=rule, start=start, end=end, by=admin)
    kept = time.perf_counter() - began

    client = Client()
    client.force_login(admin)
    # As a school admin does: the edit page opens (not timed), then it asks for the preview.
    client.get(reverse("rule-edit", args=[rule.pk]))
    began = time.perf_counter()
    response = client.post(reverse("rule-preview", args=[rule.pk]), form_data(rule))
    preview_s = time.perf_counter() - began
    if response.status_code != 200:
        raise SystemExit(f"preview: HTTP {response.status_code}")
    frontier = ", ".join(
        f"{p['value']}w {p['precision']:.0%}/{p['recall']:.0%}" for p in swept["sweep"]["points"]
    )
    return {
        "backtest of one rule over the year (s)": round(one, 2),
        "10-point sweep (s)": round(sweep_s, 2),
        "kept backtest opened again (s)": round(kept, 3),
        "edit-page preview of the rule (s)": round(preview_s, 2),
        "flagged": result["flagged"],
        "true positives": result["counts"]["true_positive"],
        "false positives": result["counts"]["false_positive"],
        "missed": result["counts"]["missed"],
        "precision": f"{result['precision']:.0%}",
        "recall": f"{result['recall']:.0%}",
        "median lead (school weeks)": result["median_lead_weeks"],
        "frontier (persistence: precision/recall)": frontier,
        "peak memory (MB)": round(setup.peak_rss_mb(), 1),
    }


if __name__ == "__main__" and "--child" in sys.argv:
    import json

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    setup.django_in_child()
    print(json.dumps(_child()))
