"""evaluation_run when two runs meet: one case and one notification, the school lock, and the
database constraint as the last line."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from alerts.models import (
    Case,
    CaseStatus,
    Notification,
)
from alerts.services import evaluation_run
from tests.clock import fixed_dates
from tests.factories import CaseFactory, StudentFactory
from tests.threads import at_once

from .conftest import ON, pattern

pytestmark = fixed_dates


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_make_one_case_and_one_notification(north, student, alice, tom):
    pattern(student, north, first=alice, second=tom)
    summaries, errors = at_once(lambda: evaluation_run(school=north, on_date=ON))
    assert errors == []
    assert sorted(len(s.opened) for s in summaries) == [0, 1]
    assert Case.objects.count() == 1
    assert Notification.objects.count() == 1
    connection.close()


@pytest.mark.django_db
def test_the_database_refuses_a_second_open_case(north, student):
    from django.db import IntegrityError, transaction

    CaseFactory(student=student, evidence_on=ON)
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory(student=student, evidence_on=ON, status=CaseStatus.MONITORING)


@pytest.mark.django_db(transaction=True)
def test_a_run_waits_while_another_holds_the_schools_lock(north, student, alice, tom):
    """The lock itself, not only the constraint behind it: while one run's transaction holds
    the school row, a second run of the same school does not act."""
    from django.db import transaction

    from schools.models import School

    pattern(student, north, first=alice, second=tom)
    done = threading.Event()

    def second_run():
        try:
            evaluation_run(school=north, on_date=ON)
        finally:
            done.set()
            connections.close_all()

    with transaction.atomic():
        School.objects.select_for_update().get(pk=north.pk)
        thread = threading.Thread(target=second_run)
        thread.start()
        assert not done.wait(timeout=1.5), "the second run went ahead despite the lock"
        assert not Case.objects.exists()
    assert done.wait(timeout=30)
    thread.join()
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_the_constraint_is_the_last_line_when_a_case_appears_mid_run(
    north, student, alice, tom, monkeypatch
):
    """A case opened for one student by something outside the run's lock, between the run
    reading the cases and writing its own: the other student's case still opens, and the
    first student keeps the one case."""
    from alerts import engine

    other = StudentFactory(school=north, code="S-0102")
    for who in (student, other):
        pattern(who, north, first=alice, second=tom)
    real = engine.evaluate

    def evaluate_then_someone_opens(**kwargs):
        result = real(**kwargs)
        CaseFactory(student=student, evidence_on=ON)
        return result

    monkeypatch.setattr(engine, "evaluate", evaluate_then_someone_opens)
    summary = evaluation_run(school=north, on_date=ON)
    assert summary.opened == ["S-0102"] and summary.unchanged == ["S-0101"]
    assert Case.objects.filter(student=student).count() == 1
    assert Case.objects.filter(student=other).count() == 1
    assert Notification.objects.filter(case__student=other).count() == 1
    assert not Notification.objects.filter(case__student=student).exists()
