"""Near-real-time evaluation on a real Celery worker on Redis: saves leave their school's
evaluation request in the database (alerts/requests.py); what beat does every few seconds
finds it once it is due, and the worker evaluates the school, opens the case and delivers the
counsellor's in-app notice: once, however many saves came within the delay, and with nothing
lost when the broker was down while the teachers saved.
"""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
import time_machine

from alerts import requests
from alerts.models import Case, Notice, Notification
from alerts.tasks import evaluate_requested
from core.celery import app
from schools.calendar import school_days_between
from schools.models import EvaluationRequest, Observation
from tests.broker_calls import connection_attempts
from tests.factories import ObservationFactory, StudentFactory
from tests.processes import CeleryWorker, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

DELAY = 3
# A run that evaluated (a task that found the request already taken returns None).
EVALUATED = re.compile(
    r"Task alerts\.tasks\.evaluate_requested_school\[[^\]]+\] succeeded in [0-9.]+s: \{"
)


@pytest.fixture(autouse=True)
def _short_delay(settings):
    settings.ALERTS_EVALUATION_DELAY_SECONDS = DELAY


@pytest.fixture
def nearly(school_a, alice, tom, carol):
    """A student two school weeks into the withdrawal pattern: the third week's two
    observations complete it. Written directly (not saves): no request yet."""
    school_a.designated_counsellor = carol
    school_a.save(update_fields=["designated_counsellor"])
    student = StudentFactory(school=school_a, code="S-0311")
    today = school_a.today()
    days = school_days_between(school_a, today - dt.timedelta(days=60), today)[-15:]
    for week in (days[0:5], days[5:10]):
        ObservationFactory(
            student=student, observed_on=week[0], signs=["ISOLATION"], recorded_by=alice
        )
        ObservationFactory(
            student=student, observed_on=week[2], signs=["DISTRESS"], recorded_by=tom
        )
    assert not EvaluationRequest.objects.exists()
    return student, days[10:]


def _save(api, user, student, day, sign):
    answer = api.as_(user).post(
        "/api/observations/",
        {"student": student.code, "observed_on": day.isoformat(), "signs": [sign]},
        format="json",
    )
    assert answer.status_code == 201, answer.content


def _scan_until_noticed(worker, carol, timeout=90):
    """What beat does every ALERTS_REQUEST_SCAN_SECONDS, until the counsellor has a notice."""

    def noticed():
        with app.connection_for_write() as conn:
            evaluate_requested.apply_async(connection=conn)
        time.sleep(1)
        return Notice.objects.filter(user=carol).exists()

    wait_until(noticed, timeout=timeout, what="the counsellor's in-app notice", interval=0.5)


def _one_notice(student, carol, worker):
    case = Case.objects.get(student=student)
    assert Notification.objects.filter(case=case).count() == 1
    assert Notice.objects.filter(user=carol, case=case).count() == 1
    assert len(EVALUATED.findall(worker.log())) == 1
    assert not EvaluationRequest.objects.exists()


def test_several_saves_within_the_delay_notify_the_counsellor_once(
    api, private_broker, nearly, alice, tom, carol, tmp_path
):
    student, last_week = nearly
    with CeleryWorker(
        broker_url=private_broker.url, mail_dir=tmp_path / "mail", log_path=tmp_path / "w.log"
    ) as worker:
        _save(api, alice, student, last_week[0], "ISOLATION")
        _save(api, tom, student, last_week[1], "REFUSES_CONTACT")
        _save(api, alice, student, last_week[2], "DISTRESS")
        request = EvaluationRequest.objects.get()
        assert request.school_id == student.school_id
        # Within the delay nothing is due: a scan then queues nothing.
        with time_machine.travel(request.due_at - dt.timedelta(seconds=1), tick=False):
            assert requests.requests_due() == []
        _scan_until_noticed(worker, carol)
        # More scans after that: nothing more to evaluate, nobody told twice.
        for _ in range(3):
            with app.connection_for_write() as conn:
                evaluate_requested.apply_async(connection=conn)
        time.sleep(3)
        _one_notice(student, carol, worker)


def test_saves_while_the_broker_is_down_lose_nothing(
    api, private_broker, nearly, alice, tom, carol, tmp_path, monkeypatch
):
    student, last_week = nearly
    private_broker.stop()
    attempts = connection_attempts(monkeypatch, private_broker.url)
    _save(api, alice, student, last_week[0], "ISOLATION")
    _save(api, tom, student, last_week[1], "DISTRESS")
    # The saves never asked the broker anything: the request is a row in the database.
    assert attempts.count == 0
    assert Observation.objects.filter(student=student).count() == 6
    assert EvaluationRequest.objects.filter(school_id=student.school_id).exists()

    private_broker.start()
    with CeleryWorker(
        broker_url=private_broker.url, mail_dir=tmp_path / "mail", log_path=tmp_path / "w.log"
    ) as worker:
        _scan_until_noticed(worker, carol)
        time.sleep(2)
        _one_notice(student, carol, worker)


def test_a_save_during_the_run_keeps_the_request_for_one_more(school_a, settings):
    settings.ALERTS_EVALUATION_DELAY_SECONDS = 0
    from schools.services.evaluation_requests import evaluation_request

    evaluation_request(school_ids=[school_a.pk])
    claimed = requests.request_claim(school_a.pk)
    assert claimed is not None
    assert requests.request_claim(school_a.pk) is None  # one worker at a time
    evaluation_request(school_ids=[school_a.pk])  # a save while the run goes on
    requests.request_done(school_a.pk, claimed)
    kept = EvaluationRequest.objects.get(school=school_a)
    assert kept.claimed_at is None and not kept.again
    claimed = requests.request_claim(school_a.pk)
    requests.request_done(school_a.pk, claimed)
    assert not EvaluationRequest.objects.exists()
