"""An observation's save and its school's evaluation request (schools/services/observations.py):
while the request waits unclaimed, saves hold it with a share lock, so they never wait for one
another, and a worker's claim waits for every save that is still open; a save during a run
asks for one more run, as before."""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection, connections, transaction

from alerts import requests
from schools.models import EvaluationRequest, Observation
from schools.services import observation_create

pytestmark = pytest.mark.django_db(transaction=True)

# The lock a worker's claim takes (an UPDATE of columns outside any unique index).
CLAIM_LOCK = "SELECT 1 FROM schools_evaluationrequest WHERE school_id = %s FOR NO KEY UPDATE NOWAIT"


def _save(student, by):
    return observation_create(
        student=student, observed_on=student.school.today(), signs=["ISOLATION"], recorded_by=by
    )


def test_open_saves_do_not_wait_for_one_another_and_a_claim_waits_for_them(
    alice, tom, student_a, settings
):
    settings.ALERTS_EVALUATION_DELAY_SECONDS = 0
    _save(student_a, alice)  # the school's request, waiting
    waiting = EvaluationRequest.objects.get()
    saved, finish, errors = threading.Event(), threading.Event(), []

    def open_save():
        try:
            with transaction.atomic():
                _save(student_a, tom)
                saved.set()
                finish.wait(timeout=30)
        except Exception as exc:  # handed back to the test
            errors.append(exc)
        finally:
            saved.set()
            connections.close_all()

    thread = threading.Thread(target=open_save)
    thread.start()
    try:
        assert saved.wait(timeout=30)
        # A claim now would wait for tom's save: it cannot take the row's lock.
        with (
            pytest.raises(OperationalError, match="could not obtain lock"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(CLAIM_LOCK, [student_a.school_id])
        # Another save goes ahead while tom's is open (it would fail here if it had to wait).
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '5s'")
            _save(student_a, alice)
    finally:
        finish.set()
        thread.join(timeout=30)
    assert not errors
    assert Observation.objects.count() == 3
    request = EvaluationRequest.objects.get()
    # Unchanged: the saves within the delay join the request that waits.
    assert (request.due_at, request.claimed_at, request.again) == (waiting.due_at, None, False)
    assert requests.request_claim(student_a.school_id) is not None


def test_a_save_during_a_run_asks_for_one_more(alice, student_a, settings):
    settings.ALERTS_EVALUATION_DELAY_SECONDS = 0
    _save(student_a, alice)
    claimed = requests.request_claim(student_a.school_id)
    assert claimed is not None
    _save(student_a, alice)  # while the worker evaluates
    assert EvaluationRequest.objects.get().again is True
    requests.request_done(student_a.school_id, claimed)
    kept = EvaluationRequest.objects.get()
    assert kept.claimed_at is None and not kept.again


def test_the_first_save_makes_the_request(alice, student_a):
    assert not EvaluationRequest.objects.exists()
    _save(student_a, alice)
    request = EvaluationRequest.objects.get()
    assert request.school_id == student_a.school_id and request.claimed_at is None
