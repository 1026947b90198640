"""The district's evaluation fanned out per school across Celery workers: one worker, then two.

On the district that benchmarks/evaluate.py seeded (or, run alone, a district of
BENCH_SCHOOLS x BENCH_STUDENTS seeded here), with its cases removed before each measurement
so that both are a first evaluation: one `evaluate_school` task per school is queued, as
`alerts.tasks.evaluate_all(full=True)` does (here with the district's evaluation date), and
the time is until every school's task has succeeded. Each worker is one
`celery worker --pool=solo` process (as one machine would be), on this database and broker,
DEBUG off. docs/OPERATIONS.md quotes these figures.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import evaluate, seed, setup

TITLE = "Fan-out of the district's evaluation across Celery workers"
DONE = re.compile(r"Task alerts\.tasks\.evaluate_school\[[^\]]+\] succeeded")


def _district() -> list[int]:
    from schools.models import School

    ids = list(School.objects.filter(code__startswith=evaluate.PREFIX).values_list("pk", flat=True))
    if not ids:
        seed.seed_district(
            schools=evaluate.SCHOOLS,
            students=evaluate.STUDENTS,
            on_date=evaluate.ON_DATE,
            prefix=evaluate.PREFIX,
        )
        setup.analyze()
        ids = list(
            School.objects.filter(code__startswith=evaluate.PREFIX).values_list("pk", flat=True)
        )
    return ids


def _reset(ids: list[int]) -> None:
    """No cases, no evaluation state: the next run is a first evaluation."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table, path in (
            ("alerts_deliveryattempt", "notification_id IN (SELECT id FROM alerts_notification)"),
            ("alerts_notice", "true"),
            ("alerts_notification", "true"),
            ("alerts_caseevidence", "true"),
            ("alerts_caserule", "true"),
            ("alerts_caseevent", "true"),
            ("alerts_case", "true"),
            ("alerts_evaluationstate", "true"),
        ):
            cursor.execute(f"DELETE FROM {table} WHERE {path}")  # noqa: S608 -- constants
    connection.close()


def _measure(n_workers: int, n_schools: int) -> float:
    from alerts.tasks import evaluate_school
    from core.celery import app
    from schools.models import School

    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as tmp:
        logs = [Path(tmp) / f"worker-{i}.log" for i in range(n_workers)]
        handles = [open(p, "w") for p in logs]  # noqa: SIM115 -- closed in the finally
        env = setup.deployment_env(LOG_LEVEL="INFO")
        processes = [
            subprocess.Popen(  # noqa: S603 -- our own interpreter and celery
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "core",
                    "worker",
                    "--pool=solo",
                    "--without-gossip",
                    "--without-mingle",
                    "--prefetch-multiplier=1",
                    "-n",
                    f"fanout-{i}@%h",
                    "--loglevel=INFO",
                ],
                env=env,
                cwd=setup.ROOT,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
            for i, handle in enumerate(handles)
        ]
        try:
            deadline = time.monotonic() + 120
            while not all("ready." in p.read_text(errors="replace") for p in logs):
                if time.monotonic() > deadline:
                    raise SystemExit("the workers did not start")
                time.sleep(0.5)
            started = time.monotonic()
            ids = list(
                School.objects.filter(code__startswith=evaluate.PREFIX).values_list("pk", flat=True)
            )
            with app.connection_for_write() as conn:
                for school_id in ids:
                    evaluate_school.apply_async(
                        args=(school_id, evaluate.ON_DATE.isoformat()),
                        kwargs={"full": True},
                        connection=conn,  # type: ignore[call-arg]  # celery-types lacks it
                    )
            while True:
                done = sum(len(DONE.findall(p.read_text(errors="replace"))) for p in logs)
                if done >= n_schools:
                    return time.monotonic() - started
                if time.monotonic() - started > 3600:
                    raise SystemExit("the fanned-out evaluation did not finish within an hour")
                time.sleep(0.2)
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
            for handle in handles:
                handle.close()


def run() -> dict:
    from schools.models import Student

    ids = _district()
    students = Student.objects.filter(school_id__in=ids).count()
    timings = {}
    for n_workers in (1, 2):
        _reset(ids)
        timings[n_workers] = _measure(n_workers, len(ids))
    figures = {
        "schools": len(ids),
        "students": students,
        "first evaluation, 1 worker (s)": round(timings[1], 1),
        "first evaluation, 2 workers (s)": round(timings[2], 1),
        "speed-up with 2 workers": round(timings[1] / timings[2], 2),
    }
    setup.record(
        "fanout",
        f"""
## {TITLE}

`make bench` (module `benchmarks/fanout.py`): the district of the evaluation benchmark
({len(ids)} schools, {students:,} students), its cases removed before each run so that both
are a first evaluation as on {evaluate.ON_DATE:%d %B %Y}; one `evaluate_school` task per
school, as `evaluate_all(full=True)` queues them; the time is until the last school's task
succeeded. Each worker is one `celery worker --pool=solo` process; PostgreSQL and the
workers share this machine's {os.cpu_count()} CPUs. Load average {setup.load_average()}
at the end, measured {dt.date.today().isoformat()}.

{setup.table(figures)}
""",
    )
    return figures
