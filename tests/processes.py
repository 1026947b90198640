"""Real processes for the integration tests: a Celery worker and a private Redis server.

The worker is `celery -A core worker` in a subprocess, on the real Redis broker, against the
same PostgreSQL test database as the test (pytest-django's test_<name>; the test must use
transaction=True so what it writes is committed and visible to the worker). It sends e-mail
with Django's file-based backend, which works across processes: each message is a file the
test reads back.

`own_queue_worker(tasks, ...)` starts one on a queue of its own and routes the named tasks
there, so no other worker on the shared broker takes them (the `worker_for` fixture in
tests/conftest.py starts one for a test). A test waits for what the worker did with
`wait_until` or `wait_while_pending`, each bounded by a timeout the test sets: a limit on
how long to wait, never an assertion on how long it took.
"""

from __future__ import annotations

import contextlib
import email
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import connection

REPO = Path(settings.BASE_DIR)
CELERY = Path(sys.executable).parent / "celery"


def wait_until(check: Callable[[], object], *, timeout: float, what: str, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def wait_while_pending(
    fetch: Callable[[], dict], *, timeout: float, what: str, pending=("queued", "running")
) -> dict:
    """Poll `fetch()` (an answer with a "status") until its status leaves `pending`; return
    that answer, for the test to assert on."""
    answer: dict = {}

    def settled() -> bool:
        nonlocal answer
        answer = fetch()
        return answer["status"] not in pending

    wait_until(settled, timeout=timeout, what=what, interval=0.3)
    return answer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def worker_database_url() -> str:
    """DATABASE_URL with the test database's name: the one this test writes to."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


class CeleryWorker:
    """A `celery worker` subprocess; use as a context manager. Its output goes to a log file
    the test can read (`log()`), e.g. to see which tasks it ran."""

    def __init__(
        self,
        *,
        broker_url: str,
        mail_dir: Path,
        log_path: Path,
        queue="celery",
        env: dict[str, str] | None = None,
    ):
        self.broker_url = broker_url
        self.mail_dir = mail_dir
        self.log_path = log_path
        self.queue = queue
        self.extra_env = env or {}
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> CeleryWorker:
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        env = (
            os.environ
            | {
                "DATABASE_URL": worker_database_url(),
                "CELERY_BROKER_URL": self.broker_url,
                # django-environ drops the first slash of the path: four of them keep it absolute.
                "EMAIL_URL": f"filemail:///{self.mail_dir.resolve()}",
                "SITE_URL": settings.SITE_URL,
                "DJANGO_SETTINGS_MODULE": "core.settings",
            }
            | self.extra_env
        )
        cmd = [
            str(CELERY),
            "-A",
            "core",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-Q",
            self.queue,
            "-n",
            f"test-{uuid.uuid4().hex[:8]}@%h",
            "--loglevel=INFO",
        ]
        self._log = open(self.log_path, "w")  # closed in __exit__
        self.proc = subprocess.Popen(  # noqa: S603 - our own venv's celery, fixed arguments
            cmd, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        try:
            wait_until(
                lambda: "ready." in self.log() or self.proc.poll() is not None,
                timeout=60,
                what="the Celery worker to start",
            )
            if self.proc.poll() is not None:
                raise AssertionError(f"the worker exited:\n{self.log()[-3000:]}")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def count(self, text: str) -> int:
        return self.log().count(text)

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # warm shutdown: finish the current task
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


@contextlib.contextmanager
def routed_to(queue: str, tasks: Iterable[str]) -> Iterator[None]:
    """Send the named tasks to `queue` from this process while inside the block."""
    from core.celery import app

    def route(routes) -> None:
        # Celery caches its routing table and router at the first task sent in the process.
        app.conf.task_routes = routes
        app.amqp.flush_routes()
        app.amqp.__dict__.pop("router", None)

    previous = app.conf.task_routes
    route({task: {"queue": queue} for task in tasks})
    try:
        yield
    finally:
        route(previous)


@contextlib.contextmanager
def own_queue_worker(
    tasks: Iterable[str], *, directory: Path, env: dict[str, str] | None = None
) -> Iterator[CeleryWorker]:
    """A worker on the test broker (CELERY_BROKER_URL) that alone listens on a queue of its
    own, with `tasks` routed there; its log and mail go under `directory`."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = CeleryWorker(
        broker_url=os.environ["CELERY_BROKER_URL"],
        mail_dir=directory / "mail",
        log_path=directory / "worker.log",
        queue=queue,
        env=env,
    )
    with worker, routed_to(queue, tasks):
        yield worker


class RedisServer:
    """A private, throw-away redis-server on its own port (no persistence)."""

    def __init__(self, port: int):
        self.port = port
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""],  # noqa: S607
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, timeout=10, what=f"redis on port {self.port}")

    def _answers(self) -> bool:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock,
        ):
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
        return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


def read_mail(mail_dir: Path) -> list[email.message.Message]:
    """Every message the file-based backend wrote (one file per connection, messages
    separated by a line of 79 dashes)."""
    messages = []
    for path in sorted(mail_dir.glob("*.log")):
        for chunk in path.read_text().split("\n" + "-" * 79 + "\n"):
            if chunk.strip():
                messages.append(email.message_from_string(chunk.lstrip("\n")))
    return messages
