"""The thin entry points: the Celery tasks (called directly: the code under test is what
they call), the overlap lock, the beat entry, and the evaluate_rules command."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from alerts.models import Case, WarningRule
from alerts.tasks import _lock_key, evaluate_all, evaluate_school
from core.celery import app
from tests.clock import fixed_dates

from .conftest import ON, weeks, withdrawal_week

pytestmark = [pytest.mark.django_db, fixed_dates]


@pytest.fixture
def patterned(north, student, alice, tom):
    for week in weeks(north, count=3):
        withdrawal_week(student, week, alice, tom)
    return student


def test_evaluate_school_runs_the_service(north, patterned):
    result = evaluate_school(north.pk, ON.isoformat())
    assert result["opened"] == ["S-0101"]
    assert Case.objects.count() == 1
    assert cache.get(_lock_key(north.pk)) is None, "the lock is released"


def test_evaluate_school_skips_while_the_school_is_locked(north, patterned):
    cache.set(_lock_key(north.pk), "another-run", timeout=60)
    try:
        assert evaluate_school(north.pk, ON.isoformat()) is None
        assert not Case.objects.exists()
        assert cache.get(_lock_key(north.pk)) == "another-run", "not our lock to release"
    finally:
        cache.delete(_lock_key(north.pk))


def test_evaluate_all_queues_one_task_per_school_on_the_broker(north, school_b, settings):
    """Through the real Redis broker (no worker consumes it here): two messages, one per
    school, each carrying only the school's id."""
    import json

    import redis

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue = app.conf.task_default_queue
    broker.delete(queue)
    try:
        assert evaluate_all() == 2
        messages = [json.loads(m) for m in broker.lrange(queue, 0, -1)]
        sent = sorted((m["headers"]["task"], m["headers"]["argsrepr"]) for m in messages)
        assert sent == sorted(
            ("alerts.tasks.evaluate_school", f"({pk},)") for pk in (north.pk, school_b.pk)
        )
    finally:
        broker.delete(queue)


def test_beat_evaluates_daily_at_the_configured_time(settings):
    entry = app.conf.beat_schedule["alerts-evaluate-all"]
    assert entry["task"] == "alerts.tasks.evaluate_all"
    assert entry["schedule"].hour == {settings.ALERTS_EVALUATION_HOUR}
    assert entry["schedule"].minute == {settings.ALERTS_EVALUATION_MINUTE}


def _run(*args) -> str:
    out = io.StringIO()
    call_command("evaluate_rules", *args, stdout=out)
    return out.getvalue()


def test_command_dry_run_then_run_then_again(north, patterned):
    out = _run("--school", "north", "--date", ON.isoformat(), "--dry-run")
    assert "would open" in out and "S-0101" in out
    assert not Case.objects.exists()
    out = _run("--school", "north", "--date", ON.isoformat())
    assert "opened                    1  S-0101" in out
    assert Case.objects.count() == 1
    out = _run("--school", "north", "--date", ON.isoformat())
    assert "opened                    0" in out and "unchanged                 1" in out


def test_command_prints_codes_never_notes(north, student, alice, tom):
    from schools.models import Observation

    for week in weeks(north, count=3):
        withdrawal_week(student, week, alice, tom)
    Observation.objects.filter(student=student).update(note="Sat alone by the window")
    out = _run("--school", "north", "--date", ON.isoformat())
    assert "S-0101" in out and "window" not in out


def test_command_refuses_an_unknown_school(db):
    with pytest.raises(CommandError):
        _run("--school", "nowhere")


def test_every_school_gets_the_default_rules_when_created(north, school_b):
    for school in (north, school_b):
        keys = set(WarningRule.objects.filter(school=school).values_list("key", flat=True))
        assert keys == {"persistent_withdrawal", "avoiding_school", "irregular_sleep"}


def test_the_data_migration_installs_missing_defaults_for_existing_schools(north):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("alerts.migrations.0002_default_rules")
    WarningRule.objects.filter(school=north, key="avoiding_school").delete()
    edited = WarningRule.objects.get(school=north, key="irregular_sleep")
    WarningRule.objects.filter(pk=edited.pk).update(min_events_per_window=4, version=2)
    migration.install(apps, None)
    assert WarningRule.objects.filter(school=north, key="avoiding_school").count() == 1
    # An existing rule is left as the school made it.
    assert WarningRule.objects.get(pk=edited.pk).min_events_per_window == 4
