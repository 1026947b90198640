"""Failed sign-ins lock an account at one address for a while (django-axes), and the token
endpoint and the password-reset page are rate limited (DRF throttles): each answer says when
to try again, and a superuser or the school's admin can unlock."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from tests.tokens import FACTORY_PASSWORD

pytestmark = pytest.mark.django_db

LIMIT = 5  # AXES_FAILURE_LIMIT's default


def _login(client, email, password):
    return client.post("/login/", {"username": email, "password": password})


def _fail(client, email, times=LIMIT):
    for _ in range(times):
        response = _login(client, email, "wrong password")
        assert response.status_code in (200, 429)
    return response


def test_the_web_login_locks_an_account_at_an_address_and_says_when_to_retry(alice):
    client = Client(REMOTE_ADDR="10.1.1.1")
    for _ in range(LIMIT - 1):
        assert _login(client, alice.email, "wrong").status_code == 200
    locked = _login(client, alice.email, "wrong")
    assert locked.status_code == 429
    text = locked.content.decode()
    assert re.search(r"Try again after \d\d:\d\d \(UTC\), in 15 minutes", text), text
    assert int(locked["Retry-After"]) == 15 * 60
    # Now even the right password is refused from here, with the same message.
    right = _login(client, alice.email, FACTORY_PASSWORD)
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_count_is_per_account_and_address(alice, tom):
    attacker = Client(REMOTE_ADDR="10.1.1.1")
    _fail(attacker, alice.email)
    # The same account from another computer, and another account from the same one.
    assert _login(Client(REMOTE_ADDR="10.2.2.2"), alice.email, FACTORY_PASSWORD).status_code == 302
    assert _login(attacker, tom.email, FACTORY_PASSWORD).status_code == 302


def test_the_e_mail_is_counted_in_any_case(alice):
    client = Client(REMOTE_ADDR="10.1.1.1")
    for variant in (
        "Alice@north.test",
        "ALICE@NORTH.TEST",
        " alice@north.test",
        "aLiCe@north.test",
    ):
        _login(client, variant, "wrong")
    assert _login(client, "alice@North.Test", "wrong").status_code == 429


def test_a_forwarded_address_is_believed_only_from_a_trusted_proxy(alice, settings):
    # With no proxy configured, a client cannot pick a fresh address per attempt.
    for n in range(LIMIT):
        _login(
            Client(REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"), alice.email, "x"
        )
    spoofed = Client(REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert _login(spoofed, alice.email, FACTORY_PASSWORD).status_code == 429
    # Behind one proxy, the address it saw is the one counted.
    settings.TRUSTED_PROXY_HOPS = 1
    behind = Client(REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert _login(behind, alice.email, FACTORY_PASSWORD).status_code == 302


def test_the_lock_ends_after_the_cool_off(alice):
    client = Client(REMOTE_ADDR="10.1.1.1")
    _fail(client, alice.email)
    assert _login(client, alice.email, FACTORY_PASSWORD).status_code == 429
    # Sixteen minutes pass since the last failure.
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    assert _login(client, alice.email, FACTORY_PASSWORD).status_code == 302


def test_the_limit_and_cool_off_follow_the_settings(alice, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=40)
    client = Client(REMOTE_ADDR="10.1.1.1")
    _login(client, alice.email, "wrong")
    locked = _login(client, alice.email, "wrong")
    assert locked.status_code == 429
    assert "in 40 minutes" in locked.content.decode()


def test_the_token_endpoint_counts_failures_too_and_answers_json(alice):
    client = APIClient(REMOTE_ADDR="10.1.1.1")
    for _ in range(LIMIT - 1):
        answer = client.post("/api/auth/token/", {"username": alice.email, "password": "x"})
        assert answer.status_code == 400
    locked = client.post("/api/auth/token/", {"username": alice.email, "password": "x"})
    assert locked.status_code == 429
    body = locked.json()
    assert "Try again after" in body["detail"]
    assert dt.datetime.fromisoformat(body["retry_after"]) > dt.datetime.now(dt.UTC)
    right = client.post("/api/auth/token/", {"username": alice.email, "password": FACTORY_PASSWORD})
    assert right.status_code == 429
    # The web login at the same address is locked for that account as well.
    assert _login(Client(REMOTE_ADDR="10.1.1.1"), alice.email, FACTORY_PASSWORD).status_code == 429


def test_the_token_endpoint_is_rate_limited_per_address(alice, settings, school_a):
    from tests.factories import UserFactory

    users = [UserFactory(email=f"t{n}@north.test") for n in range(11)]
    client = APIClient(REMOTE_ADDR="10.3.3.3")
    answers = [
        client.post("/api/auth/token/", {"username": u.email, "password": FACTORY_PASSWORD})
        for u in users
    ]
    assert [a.status_code for a in answers[:10]] == [200] * 10
    assert answers[10].status_code == 429
    assert "Request was throttled" in answers[10].json()["detail"]
    assert int(answers[10]["Retry-After"]) > 0
    # Another address is not held back.
    other = APIClient(REMOTE_ADDR="10.4.4.4")
    assert (
        other.post(
            "/api/auth/token/", {"username": alice.email, "password": FACTORY_PASSWORD}
        ).status_code
        == 200
    )


def test_the_password_reset_page_is_rate_limited_per_e_mail_and_address(
    alice, django_capture_on_commit_callbacks
):
    client = Client(REMOTE_ADDR="10.5.5.5")
    answers = []
    for _ in range(4):
        with django_capture_on_commit_callbacks() as queued:
            answers.append(client.post("/password-reset/", {"email": "alice@north.test"}))
        answers[-1].queued = len(queued)
    assert [a.status_code for a in answers] == [302, 302, 302, 429]
    assert answers[3].queued == 0
    assert "Too many password-reset requests. Try again in" in answers[3].content.decode()
    # An address with no account is counted the same way: the limit tells nothing.
    for _ in range(3):
        client.post("/password-reset/", {"email": "nobody@north.test"})
    assert client.post("/password-reset/", {"email": "nobody@north.test"}).status_code == 429
    # Ten requests from one address, whatever the e-mail.
    other = Client(REMOTE_ADDR="10.6.6.6")
    codes = [
        other.post("/password-reset/", {"email": f"p{n}@x.test"}).status_code for n in range(11)
    ]
    assert codes == [302] * 10 + [429]
    assert mail.outbox == []


def test_a_superuser_unlocks_in_the_admin(alice, django_user_model):
    client = Client(REMOTE_ADDR="10.1.1.1")
    _fail(client, alice.email)
    root = django_user_model.objects.create_superuser(email="ops@service.test", password="x")
    ops = Client()
    ops.force_login(root)
    attempt = AccessAttempt.objects.get(username="alice@north.test")
    page = ops.get("/admin/axes/accessattempt/")
    assert page.status_code == 200 and b"alice@north.test" in page.content
    assert (
        ops.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}).status_code
        == 302
    )
    assert _login(client, alice.email, FACTORY_PASSWORD).status_code == 302


def test_a_school_admin_unlocks_their_own_staff_only(alice, adam, bella, bob, as_user):
    here = Client(REMOTE_ADDR="10.1.1.1")
    _fail(here, alice.email)
    _fail(here, bob.email)
    page = as_user(adam).get("/school/security/")
    assert b"alice@north.test" in page.content
    assert b"bob@south.test" not in page.content  # another school's staff
    # Another school's admin cannot unlock alice (nothing happens), her own admin can.
    as_user(bella).post("/school/security/", {"do": "unlock", "email": alice.email})
    assert _login(here, alice.email, FACTORY_PASSWORD).status_code == 429
    as_user(adam).post("/school/security/", {"do": "unlock", "email": bob.email})
    assert _login(here, bob.email, FACTORY_PASSWORD).status_code == 429
    answer = as_user(adam).post(
        "/school/security/", {"do": "unlock", "email": alice.email}, follow=True
    )
    assert b"Unlocked" in answer.content
    assert _login(here, alice.email, FACTORY_PASSWORD).status_code == 302
    from core.models import AuditEvent

    assert AuditEvent.objects.filter(action="sign_in.unlock", actor=adam).count() == 1
