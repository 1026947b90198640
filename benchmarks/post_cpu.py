"""The observation POST's CPU cost in-process: `python -m benchmarks.post_cpu [--profile N]`.

Not one of `make bench`'s modules (it records nothing in docs/PERFORMANCE.md): a figure that
does not move with the load other people put on the shared machine, to read beside the HTTP
ratio. It seeds one school as benchmarks/api.py does (in the database DATABASE_URL names,
which must end in `_bench`: it is dropped and made anew), then in a fresh process with DEBUG
off sends the bare view's request and the observation POST through the whole WSGI stack
(Django's test Client, every middleware, token authentication) and prints the process CPU
time of each per request. `--profile N` prints the N most expensive functions of the POST
(cProfile, cumulative).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from . import seed, setup

CODE = "cpu"
STUDENTS = 1000
REQUESTS = 600
WARM_UP = 50


def _seed() -> None:
    setup.django_with_fresh_database()
    from core.credentials import token_create
    from schools.models import Membership, Role, School

    today = dt.date.today()
    seed.seed_school(CODE, students=STUDENTS, on_date=today, rng=random.Random(5))
    setup.analyze()
    school = School.objects.get(code=CODE)
    teacher = Membership.objects.filter(school=school, role=Role.TEACHER).first()
    assert teacher is not None
    token = token_create(user=teacher.user, name="cpu")[1]
    env = setup.deployment_env(
        DJANGO_SETTINGS_MODULE="benchmarks.server_settings",
        ALLOWED_HOSTS="testserver",
        BENCH_CPU_TOKEN=token,
    )
    from django.db import connection

    connection.close()
    subprocess.run(  # noqa: S603 -- our own interpreter and module
        [sys.executable, "-m", "benchmarks.post_cpu", "--measure", *sys.argv[1:]],
        env=env,
        cwd=setup.ROOT,
        check=True,
    )


def _measure(profile: int) -> None:
    # Django set up as gunicorn does it (core.wsgi): benchmarks.server_settings imports
    # core.settings, and the core package must be imported first.
    from django.test import Client

    import core.wsgi  # noqa: F401
    from schools.models import Student

    codes = list(
        Student.objects.filter(school__code=CODE, is_active=True).values_list("code", flat=True)
    )
    rng = random.Random(9)
    today = dt.date.today().isoformat()
    auth = {"Authorization": f"Token {os.environ['BENCH_CPU_TOKEN']}"}
    client = Client()

    def post() -> None:
        body = {
            "school": CODE,
            "student": rng.choice(codes),
            "observed_on": today,
            "signs": ["ISOLATION"],
        }
        answer = client.post(
            "/api/observations/", json.dumps(body), content_type="application/json", headers=auth
        )
        assert answer.status_code == 201, answer.content

    def bare() -> None:
        body = {"school": CODE, "student": rng.choice(codes), "observed_on": today}
        answer = client.post("/bench/bare/", json.dumps(body), content_type="application/json")
        assert answer.status_code == 201, answer.content

    for name, call in (("bare view", bare), ("observation POST", post)):
        for _ in range(WARM_UP):
            call()
        server = _server_cpu()
        started, wall = time.process_time(), time.perf_counter()
        for _ in range(REQUESTS):
            call()
        ms = 1000 * (time.process_time() - started) / REQUESTS
        wall_ms = 1000 * (time.perf_counter() - wall) / REQUESTS
        server_ms = 1000 * (_server_cpu() - server) / REQUESTS
        print(
            f"{name}: {ms:.2f} ms CPU a request, {server_ms:.2f} ms of PostgreSQL's, "
            f"{wall_ms:.2f} ms wall, one request at a time ({REQUESTS} requests)",
            flush=True,
        )
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile(time.process_time)  # CPU, not waiting on PostgreSQL
        profiler.enable()
        for _ in range(REQUESTS):
            post()
        profiler.disable()
        order = os.environ.get("BENCH_CPU_SORT", "cumulative")  # or tottime
        pstats.Stats(profiler).sort_stats(order).print_stats(profile)


def _server_cpu() -> float:
    """Seconds of CPU the PostgreSQL backend of this connection has used (it runs on this
    machine: /proc)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime and stime, fields 14 and 15 of the whole line (11 and 12 after the name).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    args = sys.argv[1:]
    profile = int(args[args.index("--profile") + 1]) if "--profile" in args else 0
    if "--measure" in args:
        _measure(profile)
    else:
        _seed()
