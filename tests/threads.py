"""Two callers at once, on two real database connections, as two Celery workers would be.

The test needs `django_db(transaction=True)`, so what one thread commits is visible to the
other. A thread cannot fail the test itself: its exception is handed back for the test to
assert on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections


def at_once(call: Callable[[], object], *, times: int = 2) -> tuple[list, list[BaseException]]:
    """Run `call` in `times` threads released together; return (their answers, their errors).
    Each thread closes its database connections when done; the joins are bounded."""
    barrier = threading.Barrier(times)
    answers: list = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            answers.append(call())
        except Exception as exc:  # handed back: the test asserts there were none
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers, errors
