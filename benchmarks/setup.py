"""Shared set-up for benchmarks: Django on a freshly created, migrated database, and the
measuring tools every benchmark uses (fresh processes, peak memory, query counts, targets)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PERFORMANCE_MD = ROOT / "docs" / "PERFORMANCE.md"
# The key a measured process signs with when it runs with DEBUG off: only on this machine's
# loopback, for the length of one benchmark.
BENCH_SECRET_KEY = "benchmark-only-secret-key-never-deployed-0123456789-abcdefghijklmnop"  # noqa: S105


def django_with_fresh_database() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    os.environ.setdefault("DEBUG", "true")
    # Benchmarks pseudonymise generated references; a fixed key keeps runs comparable.
    os.environ.setdefault("PSEUDONYM_KEY", "benchmark-pseudonym-key")
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        _recreate_postgres(url)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def django_in_child() -> None:
    """Django in a measured child process: the database the parent filled, nothing else."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    import django

    django.setup()


def _recreate_postgres(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    name = name.split("?")[0]
    if not re.fullmatch(r"[A-Za-z0-9_]+", name) or not name.endswith("_bench"):
        raise SystemExit(f"Benchmarks drop and recreate their database; {name!r} is not *_bench.")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def postgres_major() -> int:
    """The major version of the PostgreSQL server the figures were measured on."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        return int(cursor.fetchone()[0]) // 10000


def analyze() -> float:
    """ANALYZE the whole database, as autovacuum would eventually (it may be off): a
    benchmark that measures queries on tables without statistics measures bad plans.
    Returns the seconds it took."""
    from django.db import connection

    started = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return time.perf_counter() - started


def database_url() -> str:
    """The URL of the database Django is connected to, for a child process."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = db.get("HOST") or "127.0.0.1"
    return f"postgres://{auth}{host}:{db.get('PORT') or 5432}/{db['NAME']}"


def deployment_env(**extra: str) -> dict[str, str]:
    """The environment of a measured process: this database, DEBUG off (a deployment's worker
    and web server never run with it on, and DEBUG keeps every query's text in memory)."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(),
        DEBUG="false",
        SECRET_KEY=BENCH_SECRET_KEY,
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="0",
        LOG_LEVEL="WARNING",
        PSEUDONYM_KEY=os.environ.get("PSEUDONYM_KEY", "benchmark-pseudonym-key"),
    )
    env.update(extra)
    return env


@contextmanager
def collected_static() -> Iterator[str]:
    """A folder of the static files collected as the image build does (DEBUG off: hashed and
    compressed), for a measured process that renders pages (pass it as STATIC_ROOT)."""
    with tempfile.TemporaryDirectory(prefix="bench-static-") as folder:
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
            env=deployment_env(STATIC_ROOT=folder),
            cwd=ROOT,
            check=True,
        )
        yield folder


def run_fresh_pages(module: str) -> dict:
    """run_fresh(module, "--child") for a child that renders pages through Django's test
    client with DEBUG off: the static files collected, the test client's host allowed."""
    with collected_static() as static:
        return run_fresh(
            module, "--child", ALLOWED_HOSTS="testserver,127.0.0.1,localhost", STATIC_ROOT=static
        )


def run_fresh(module: str, *args: str, **env: str) -> dict:
    """Run `python -m module args` in a new process that has done nothing else (no seeding,
    no imports of the parent's data) and return the JSON object it prints last."""
    from django.db import connection

    connection.close()
    child = subprocess.run(  # noqa: S603 -- our own interpreter and module
        [sys.executable, "-m", module, *args],
        env=deployment_env(**env),
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if child.returncode != 0:
        sys.stderr.write(child.stderr)
        raise SystemExit(f"{module} {' '.join(args)} failed (exit {child.returncode}).")
    return json.loads(child.stdout.strip().splitlines()[-1])


def peak_rss_mb() -> float:
    """This process's own peak resident memory (VmHWM), in MB.

    Not getrusage(): its ru_maxrss survives fork and exec, so a child started by a process
    that had grown to 400 MB reports at least 400 MB whatever it did itself. VmHWM belongs to
    the process's own address space, which exec replaces.
    """
    return _status_kb("VmHWM") / 1024


def rss_mb() -> float:
    return _status_kb("VmRSS") / 1024


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


class QueryCounter:
    """Counts the SQL statements a connection executes, however many (Django's own query
    log keeps only the last 9,000, and only with DEBUG on)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def counting_queries() -> Iterator[QueryCounter]:
    from django.db import connection

    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        yield counter


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


@dataclass(frozen=True)
class Target:
    """One row of the targets table: what was measured against what is wanted."""

    figure: str
    measured: str
    target: str
    met: bool | None  # None: not measured, or not comparable at this size

    @property
    def verdict(self) -> str:
        return {True: "met", False: "missed", None: "-"}[self.met]


def record(section: str, markdown: str) -> None:
    """Replace this benchmark's section of docs/PERFORMANCE.md (other sections are kept)."""
    begin, end = f"<!-- bench:{section} -->", f"<!-- /bench:{section} -->"
    text = PERFORMANCE_MD.read_text() if PERFORMANCE_MD.exists() else "# Performance\n"
    block = f"{begin}\n{markdown.strip()}\n{end}"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    PERFORMANCE_MD.parent.mkdir(exist_ok=True)
    PERFORMANCE_MD.write_text(text)


def section(section: str) -> str:
    """The current text of a marked section of docs/PERFORMANCE.md ('' when absent)."""
    text = PERFORMANCE_MD.read_text() if PERFORMANCE_MD.exists() else ""
    begin, end = f"<!-- bench:{section} -->", f"<!-- /bench:{section} -->"
    if begin in text and end in text:
        return text[text.index(begin) + len(begin) : text.index(end)]
    return ""


def table(figures: dict) -> str:
    """A two-column markdown table of figures."""
    rows = []
    for key, value in figures.items():
        if isinstance(value, int) and not isinstance(value, bool):
            value = f"{value:,}"
        rows.append(f"| {key} | {value} |")
    return "| figure | value |\n|---|---|\n" + "\n".join(rows)
