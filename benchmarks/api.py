"""HTTP figures: the observation POST, a bare Django view, and the counsellor's case pages,
against gunicorn with 4 workers on loopback (`make bench-api`, also part of `make bench`).

The school (benchmarks/seed.py): 1,000 students with a school year of records up to today,
evaluated once so that its counsellor has cases. gunicorn serves the project with DEBUG off
and its default settings (benchmarks/server_settings.py adds only the two views of
benchmarks/server_urls.py), and the load generator (benchmarks/loadgen.py, bounded in time
and requests) runs in this process:

- a bare Django JSON view (all middleware, no authentication, no query), the observation
  POST (`POST /api/observations/`, token authentication, one new observation a request),
  and the POST's own work without DRF (benchmarks/server_urls.py: how close any Django view
  doing that work can come to the bare view), 50 clients each for BENCH_API_SECONDS
  (default 20) seconds;
- the case list (`/cases/`) and a case page (`/cases/<id>/`, cycling over the open cases), 10
  clients each for BENCH_API_PAGE_SECONDS (default 15) seconds, signed in with a session.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import loadgen, seed, setup
from .setup import Target

TITLE = "HTTP: observation POST, bare view, case pages (gunicorn, 4 workers, loopback)"
CODE = "api"
STUDENTS = 1_000
WORKERS = 4
POST_CLIENTS, PAGE_CLIENTS = 50, 10
SECONDS = float(os.environ.get("BENCH_API_SECONDS", "20"))
PAGE_SECONDS = float(os.environ.get("BENCH_API_PAGE_SECONDS", "15"))
TEACHERS_WITH_TOKENS = 10


def run() -> dict:
    from django.test import Client, override_settings

    from alerts.models import Case
    from alerts.services import evaluation_run
    from core.credentials import token_create
    from core.models import User
    from schools.models import Membership, Role, School, Student

    today = dt.date.today()
    seed.seed_school(CODE, students=STUDENTS, on_date=today, rng=random.Random(5))
    school = School.objects.get(code=CODE)
    evaluation_run(school=school, on_date=today)
    setup.analyze()
    teachers = [
        m.user
        for m in Membership.objects.filter(school=school, role=Role.TEACHER).select_related("user")[
            :TEACHERS_WITH_TOKENS
        ]
    ]
    tokens = [token_create(user=t, name="benchmark")[1] for t in teachers]
    # The session is signed with the key the server runs with.
    with override_settings(SECRET_KEY=setup.BENCH_SECRET_KEY):
        browser = Client()
        browser.force_login(User.objects.get(email=f"counsellor@{CODE}.bench"))
        session = browser.cookies["sessionid"].value
    cases = list(
        Case.objects.filter(student__school=school).order_by("pk").values_list("pk", flat=True)
    )
    codes = list(
        Student.objects.filter(school=school, is_active=True).values_list("code", flat=True)
    )
    rng = random.Random(9)

    def observation(i: int, n: int) -> bytes:
        body = json.dumps(
            {
                "school": CODE,
                "student": rng.choice(codes),
                "observed_on": today.isoformat(),
                "signs": [rng.choice(seed.WITHDRAWAL)],
            }
        ).encode()
        headers = {
            "Authorization": f"Token {tokens[i % len(tokens)]}",
            "Content-Type": "application/json",
        }
        return loadgen.request_bytes("POST", "/api/observations/", port, headers=headers, body=body)

    def observation_work(i: int, n: int) -> bytes:
        """The same request to the same work without DRF (benchmarks/server_urls.py)."""
        work = b"/bench/observation-work/"
        return observation(i, n).replace(b"/api/observations/", work, 1)

    def bare(i: int, n: int) -> bytes:
        body = json.dumps(
            {"school": CODE, "student": rng.choice(codes), "observed_on": today.isoformat()}
        ).encode()
        headers = {"Content-Type": "application/json"}
        return loadgen.request_bytes("POST", "/bench/bare/", port, headers=headers, body=body)

    cookie = {"Cookie": f"sessionid={session}"}

    def case_list(i: int, n: int) -> bytes:
        return loadgen.request_bytes("GET", "/cases/", port, headers=cookie)

    def case_page(i: int, n: int) -> bytes:
        pk = cases[(i * 7 + n) % len(cases)]
        return loadgen.request_bytes("GET", f"/cases/{pk}/", port, headers=cookie)

    with _gunicorn() as port:
        # Every worker imports and connects before anything is timed.
        for make in (bare, observation, observation_work, case_list, case_page):
            loadgen.run(port, make, clients=WORKERS, seconds=2, max_requests=40)
        results = {
            "bare view": loadgen.run(port, bare, clients=POST_CLIENTS, seconds=SECONDS),
            "observation POST": loadgen.run(
                port, observation, clients=POST_CLIENTS, seconds=SECONDS
            ),
            "the POST's work without DRF": loadgen.run(
                port, observation_work, clients=POST_CLIENTS, seconds=SECONDS
            ),
            "case list": loadgen.run(port, case_list, clients=PAGE_CLIENTS, seconds=PAGE_SECONDS),
            "case page": loadgen.run(port, case_page, clients=PAGE_CLIENTS, seconds=PAGE_SECONDS),
        }
    figures: dict = {"open cases on the list": len(cases)}
    for name, result in results.items():
        for key, value in result.summary().items():
            figures[f"{name}: {key}"] = value
    bare_r, post_r = results["bare view"], results["observation POST"]
    share = 100 * post_r.per_second / bare_r.per_second if bare_r.per_second else 0.0
    p95_ratio = post_r.quantile(0.95) / bare_r.quantile(0.95) if bare_r.latencies else 0.0
    figures["observation POST / bare view, requests/s (%)"] = round(share, 1)
    figures["observation POST / bare view, p95"] = round(p95_ratio, 1)
    work_r = results["the POST's work without DRF"]
    if bare_r.per_second:
        figures["the POST's work without DRF / bare view, requests/s (%)"] = round(
            100 * work_r.per_second / bare_r.per_second, 1
        )
        figures["the POST's work without DRF / bare view, p95"] = round(
            work_r.quantile(0.95) / bare_r.quantile(0.95), 1
        )
    pages_p95 = {k: results[k].quantile(0.95) for k in ("case list", "case page")}
    answered = all(r.ok == r.requests and not r.errors for r in results.values())
    targets = [
        Target(
            "observation POST, 50 clients, 4 gunicorn workers",
            f"{post_r.per_second:.0f} requests/s = {share:.0f}% of the bare view's "
            f"{bare_r.per_second:.0f}; p95 {post_r.quantile(0.95) * 1000:.0f} ms = "
            f"{p95_ratio:.1f}x the bare view's {bare_r.quantile(0.95) * 1000:.0f} ms",
            ">= 30% of a bare view measured in the same run, p95 <= 2x the bare view's",
            answered and share >= 30 and p95_ratio <= 2,
        ),
        Target(
            "case list and case page, 10 clients",
            f"p95 {pages_p95['case list'] * 1000:.0f} ms (list), "
            f"{pages_p95['case page'] * 1000:.0f} ms (page)",
            "p95 <= 300 ms",
            answered and max(pages_p95.values()) <= 0.3,
        ),
    ]
    _record(figures, targets)
    return {**figures, "targets": targets}


class _gunicorn:
    """gunicorn with WORKERS sync workers on a free loopback port, stopped on exit."""

    def __enter__(self) -> int:
        from django.db import connection

        connection.close()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.log = tempfile.NamedTemporaryFile("w+", prefix="bench-gunicorn-", suffix=".log")
        self.static = contextlib.ExitStack()
        env = setup.deployment_env(
            DJANGO_SETTINGS_MODULE="benchmarks.server_settings",
            ALLOWED_HOSTS="127.0.0.1",
            STATIC_ROOT=self.static.enter_context(setup.collected_static()),
        )
        self.process = subprocess.Popen(  # noqa: S603 -- our own interpreter and module
            [
                sys.executable,
                "-m",
                "gunicorn",
                "core.wsgi:application",
                "--workers",
                str(WORKERS),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--backlog",
                "512",
            ],
            env=env,
            cwd=setup.ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        probe_request = loadgen.request_bytes("GET", "/bench/bare/", self.port)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited:\n{Path(self.log.name).read_text()}")
            result = loadgen.run(self.port, lambda i, n: probe_request, clients=1, seconds=0.2)
            if result.ok:
                return self.port
            time.sleep(0.5)
        self.__exit__(None, None, None)
        raise SystemExit("gunicorn did not answer within 60 s.")

    def __exit__(self, *exc) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        self.static.close()


def _record(figures: dict, targets: list[Target]) -> None:
    rows = "\n".join(f"| {t.figure} | {t.measured} | {t.target} | {t.verdict} |" for t in targets)
    setup.record(
        "api",
        f"""
## {TITLE}

`make bench-api` (module `benchmarks/api.py`; also part of `make bench`): gunicorn with
{WORKERS} sync workers on loopback, DEBUG off, the project's default settings; one school of
{STUDENTS:,} students with a school year of records, evaluated once. A bounded load generator
in the same machine (benchmarks/loadgen.py: asyncio, one request per connection, stops after
its time): a bare Django JSON view, the observation POST (token authentication), and the
POST's own work without Django REST framework (the same three statements; benchmarks/
server_urls.py), each {POST_CLIENTS} clients for {SECONDS:.0f} s; the case list and case
pages ({PAGE_CLIENTS} clients, {PAGE_SECONDS:.0f} s each, a counsellor's session). Load average
{setup.load_average()} at the end, measured {dt.date.today().isoformat()}.

| target | measured | wanted | |
|---|---|---|---|
{rows}

{setup.table(figures)}
""",
    )
