"""The live rule preview on the rule edit page, for a 1,000-student school with a dense
register.

The school (benchmarks/seed.py, dense=True): a school year of records up to today, every
session of every student in the register (present ones too, as when an information system
pushes its whole register through the API), an exception on 15% of the sessions. In a fresh
process with DEBUG off, a school admin posts each default rule's form, unchanged, to the
page's preview endpoint (`POST /rules/<id>/preview/`, what the page's script calls while the
admin edits) and the answer is timed; the target is the slowest of the three.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import time

from . import seed, setup
from .setup import Target

STUDENTS = 1_000
CODE = "dense"
# A register that records much: an exception (absent, late, not required) on 15% of sessions.
DENSE = seed.Rates(exception=0.15)
TITLE = f"Live rule preview, {STUDENTS:,}-student school, dense register"


def run() -> dict:
    from schools.models import AttendanceRecord, School

    started = time.perf_counter()
    # The page previews "today" at the school: the records end today.
    made = seed.seed_school(
        CODE,
        students=STUDENTS,
        on_date=dt.date.today(),
        rng=random.Random(11),
        rates=DENSE,
        dense=True,
    )
    generated = time.perf_counter() - started
    setup.analyze()
    school = School.objects.get(code=CODE)
    rows = AttendanceRecord.objects.filter(student__school=school).count()
    measured = setup.run_fresh_pages("benchmarks.preview")
    slowest = max(measured.values())
    figures = {
        "students": made.students,
        "register rows (every session)": rows,
        "observations": made.observations,
        "generate (s)": round(generated, 1),
        **{f"preview of {key} (s)": value for key, value in measured.items()},
    }
    target = Target(
        "live preview, 1,000-student school, dense register",
        f"{slowest:.2f} s (the slowest default rule)",
        "< 1 s",
        slowest < 1,
    )
    setup.record(
        "preview",
        f"""
## {TITLE}

`make bench` (module `benchmarks/preview.py`): one school of {STUDENTS:,} students with a
school year of records up to the day of the run and every session in the register (present
marks stored too, an exception on 15% of them); the tables analysed. In a fresh process (DEBUG
off), a school admin opens each default rule's edit page (not timed) and posts its form,
unchanged, to the preview endpoint the page calls (`POST /rules/<id>/preview/`: who the rule
would flag today and since when, over about a school year); the time of that request.
Target: under 1 s. Load average {setup.load_average()} at the end, measured
{dt.date.today().isoformat()}.

| target | measured | wanted | |
|---|---|---|---|
| {target.figure} | {target.measured} | {target.target} | {target.verdict} |

{setup.table(figures)}
""",
    )
    return {**figures, "targets": [target]}


def form_data(rule) -> dict:
    """The rule's edit form as the page posts it, unchanged."""
    from alerts.forms import RuleForm

    form = RuleForm(instance=rule)
    data: dict[str, str | list[str]] = {}
    for name, bound in ((n, form[n]) for n in form.fields):
        value = bound.value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = list(value)
        else:
            data[name] = "" if value is None else str(value)
    return data


def _child() -> dict:
    from django.test import Client
    from django.urls import reverse

    from alerts.models import WarningRule
    from core.models import User

    client = Client()
    client.force_login(User.objects.get(email=f"admin@{CODE}.bench"))
    times = {}
    for rule in WarningRule.objects.filter(school__code=CODE).order_by("pk"):
        # As a school admin does: the edit page opens (not timed), then it asks for the
        # preview (the first request of the process also pays for loading templates and URLs).
        client.get(reverse("rule-edit", args=[rule.pk]))
        started = time.perf_counter()
        response = client.post(reverse("rule-preview", args=[rule.pk]), form_data(rule))
        times[rule.key or rule.name] = round(time.perf_counter() - started, 2)
        if response.status_code != 200:
            raise SystemExit(f"preview of {rule.name}: HTTP {response.status_code}")
    return times


if __name__ == "__main__" and "--child" in sys.argv:
    import json

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    setup.django_in_child()
    print(json.dumps(_child()))
