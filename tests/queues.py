"""The default Celery queue on the test broker (a Redis list): what a request queued, and
running it here as a worker would, for tests that need the task's effect but not a worker."""

from __future__ import annotations

import base64
import json
import os

import redis

from core.celery import app


def broker_queue() -> redis.Redis:
    """A client of the test broker with the default queue emptied."""
    client = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
    client.delete("celery")
    return client


def queued(queue: redis.Redis) -> list[tuple[str, list]]:
    """(task name, args) of every message waiting on the queue, oldest first."""
    found = []
    for raw in reversed(queue.lrange("celery", 0, -1)):
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        found.append((message["headers"]["task"], args))
    return found


def run_queued(queue: redis.Redis) -> None:
    """Run the waiting tasks in this process, oldest first, and empty the queue."""
    app.loader.import_default_modules()  # the apps' tasks modules, as a worker loads them
    for name, args in queued(queue):
        app.tasks[name].apply(args=args).get()
    queue.delete("celery")
