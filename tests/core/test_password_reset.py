"""The password-reset page answers the same, doing the same work, for a known and an unknown
address: it only queues the e-mail (on the real broker), and the worker looks the address up
and sends it. Integration accounts, which have no password, never get a link."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.views import RESET_TASK
from schools.models import Membership, Role
from tests.factories import UserFactory
from tests.queues import broker_queue, queued, run_queued

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue():
    client = broker_queue()
    yield client
    client.delete("celery")


def _ask(client, address: str, django_capture_on_commit_callbacks):
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(reverse("password_reset"), {"email": address})
    return response, len(queries)


def test_known_and_unknown_addresses_get_the_same_answer_and_work(
    client, alice, queue, django_capture_on_commit_callbacks
):
    known, known_queries = _ask(client, "alice@north.test", django_capture_on_commit_callbacks)
    unknown, unknown_queries = _ask(client, "nobody@north.test", django_capture_on_commit_callbacks)

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    # The request looks nothing up and sends nothing: the same queries (none about accounts)
    # and one queued task of the same shape either way.
    assert known_queries == unknown_queries
    assert mail.outbox == []
    tasks = queued(queue)
    assert [name for name, _ in tasks] == [RESET_TASK, RESET_TASK]
    assert [args[0] for _, args in tasks] == ["alice@north.test", "nobody@north.test"]
    assert tasks[0][1][1:] == tasks[1][1][1:]


def test_the_worker_sends_the_link_to_a_known_address_only(
    client, alice, queue, django_capture_on_commit_callbacks
):
    _ask(client, "ALICE@north.test", django_capture_on_commit_callbacks)
    _ask(client, "nobody@north.test", django_capture_on_commit_callbacks)
    run_queued(queue)

    assert [m.to for m in mail.outbox] == [["alice@north.test"]]
    link = re.search(r"https?://[^/\s]+(/password-reset/\S+/\S+/)", mail.outbox[0].body)
    assert client.get(link.group(1), follow=True).context["validlink"]


def test_integration_accounts_get_no_link(
    client, ivan, school_b, queue, django_capture_on_commit_callbacks
):
    north = ivan.memberships.get().school
    machine = UserFactory(email="sis@north.test", password=None)
    machine.set_unusable_password()
    machine.save()
    Membership.objects.create(user=machine, school=north, role=Role.INTEGRATION)
    # An integration at one school who teaches at another is a person: they may reset.
    person = UserFactory(email="both@north.test")
    Membership.objects.create(user=person, school=north, role=Role.INTEGRATION)
    Membership.objects.create(user=person, school=school_b, role=Role.TEACHER)

    for address in ("sis@north.test", "ivan@north.test", "both@north.test"):
        response, _ = _ask(client, address, django_capture_on_commit_callbacks)
        assert response.status_code == 302
    run_queued(queue)

    assert [m.to for m in mail.outbox] == [["both@north.test"]]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_reset_e_mail(client, alice, worker_for):
    from tests.processes import read_mail, wait_until

    worker = worker_for(RESET_TASK)  # alone on its own queue: no leftovers of earlier runs
    for address in ("nobody@north.test", "alice@north.test"):
        assert client.post(reverse("password_reset"), {"email": address}).status_code == 302
    wait_until(
        lambda: worker.count(f"Task {RESET_TASK}[") >= 2 and worker.count("succeeded") >= 2,
        timeout=60,
        what="the worker to run both reset tasks",
    )
    messages = read_mail(worker.mail_dir)
    assert [m["To"] for m in messages] == ["alice@north.test"]
    assert "/password-reset/" in messages[0].get_payload()
