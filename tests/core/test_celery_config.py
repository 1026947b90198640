"""The Celery app as configured, read from the app itself (not from settings.py):
JSON only, time limits, late acknowledgement with a prefetch of one, and a beat schedule in
code whose every entry names a task the worker knows."""

from __future__ import annotations

import pytest

from core.celery import app


def test_only_json_goes_over_the_wire():
    assert app.conf.task_serializer == "json"
    assert app.conf.result_serializer == "json"
    assert list(app.conf.accept_content) == ["json"]


def test_a_task_cannot_run_forever():
    hard, soft = app.conf.task_time_limit, app.conf.task_soft_time_limit
    assert hard and soft, "both time limits are set"
    assert 0 < soft < hard, "the soft limit comes first, so a task can clean up"


def test_a_task_is_acknowledged_after_it_ran_and_taken_one_at_a_time():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_the_app_reads_django_settings(settings):
    assert app.conf.broker_url == settings.CELERY_BROKER_URL
    assert app.conf.timezone == settings.TIME_ZONE


@pytest.mark.parametrize("entry", sorted(app.conf.beat_schedule))
def test_every_beat_entry_names_a_registered_task(entry):
    app.loader.import_default_modules()  # what a worker does at start: autodiscover the tasks
    task = app.conf.beat_schedule[entry]["task"]
    assert task in app.tasks, f"beat entry {entry!r} names {task!r}, which no app defines"


def test_the_schedule_has_the_health_heartbeat():
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "core.tasks.heartbeat" in tasks
