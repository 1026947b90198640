"""API tokens are a real credential: stored as a digest, several per account, each named and
with an expiry, revocable one by one, shown once; every token and session of an account ends
when its password is set anew. A school admin makes and revokes integration tokens from the
pages."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.contrib.auth.forms import SetPasswordForm
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import ApiToken
from schools.models import Membership, Role
from tests.factories import MembershipFactory, UserFactory
from tests.tokens import FACTORY_PASSWORD, api_token, owner_of, token_client

pytestmark = pytest.mark.django_db


def _works(token: str) -> bool:
    return token_client(token=token).get("/api/schools/").status_code == 200


def test_a_token_is_stored_only_as_a_digest(ivan):
    token = api_token(ivan)
    row = ApiToken.objects.get(user=ivan)
    stored = [str(getattr(row, f.attname)) for f in ApiToken._meta.concrete_fields]
    assert token not in stored
    assert not any(len(v) > 15 and v in token for v in stored)
    assert row.digest == hashlib.sha512(token.encode()).hexdigest()
    assert _works(token)


def test_an_account_has_several_named_tokens_each_with_an_expiry(ivan):
    before = timezone.now()
    nightly = api_token(ivan, name="MIS nightly sync")
    weekly = api_token(ivan, name="Weekly report", days=7)
    assert nightly != weekly and _works(nightly) and _works(weekly)
    rows = {t.name: t for t in ApiToken.objects.filter(user=ivan)}
    assert set(rows) == {"MIS nightly sync", "Weekly report"}
    assert before + dt.timedelta(days=90) <= rows["MIS nightly sync"].expiry
    assert rows["MIS nightly sync"].expiry <= timezone.now() + dt.timedelta(days=90)
    assert rows["Weekly report"].expiry <= timezone.now() + dt.timedelta(days=7)


def test_a_token_longer_than_the_maximum_is_refused(ivan):
    answer = APIClient().post(
        "/api/auth/token/",
        {"username": ivan.email, "password": FACTORY_PASSWORD, "days": 366},
        format="json",
    )
    assert answer.status_code == 400
    assert "days" in answer.json()
    assert not ApiToken.objects.exists()


def test_an_expired_token_is_refused(ivan):
    token = api_token(ivan)
    ApiToken.objects.update(expiry=timezone.now() - dt.timedelta(seconds=1))
    assert not _works(token)
    assert not ApiToken.objects.exists()


def test_a_refused_token_is_answered_as_knox_answers_it(ivan):
    """The token and its account are read by hand (core/authentication.py); what is refused,
    and how, is still knox's: a wrong secret behind a real key, an unknown key, an account
    that was deactivated."""
    token = api_token(ivan)
    wrong_secret = token[:15] + ("0" if token[15] != "0" else "1") + token[16:]
    for bad, says in (
        (wrong_secret, "Invalid token."),
        ("f" * len(token), "Invalid token."),
    ):
        answer = token_client(token=bad).get("/api/schools/")
        assert (answer.status_code, answer.json()) == (403, {"detail": says})
    assert _works(token)
    ivan.is_active = False
    ivan.save(update_fields=["is_active"])
    answer = token_client(token=token).get("/api/schools/")
    assert (answer.status_code, answer.json()) == (403, {"detail": "User inactive or deleted."})


def test_a_token_signs_in_as_its_own_account_among_several(ivan, alice):
    """Two accounts' tokens: each request is its own account's, with the account's fields."""
    tokens = {user.email: api_token(user) for user in (ivan, alice)}
    for email, token in tokens.items():
        assert owner_of(token).email == email
    answer = token_client(token=tokens[alice.email]).get("/api/schools/")
    assert answer.status_code == 200
    assert {s["code"] for s in answer.json()["results"]} == set(
        Membership.objects.filter(user=alice).values_list("school__code", flat=True)
    )


def test_tokens_are_revoked_one_by_one(ivan, alice, as_user):
    first, second = api_token(ivan, name="one"), api_token(ivan, name="two")
    # With the API: the token a request is made with.
    assert token_client(token=first).post("/api/auth/token/revoke/").status_code == 204
    assert not _works(first) and _works(second)
    # On the account page: one of one's own tokens, by its public id.
    mine = api_token(alice, name="laptop")
    other = api_token(alice, name="phone")
    client = as_user(alice)
    page = client.get("/account/tokens/")
    assert b"laptop" in page.content and b"phone" in page.content
    assert mine.encode() not in page.content and other.encode() not in page.content
    laptop = ApiToken.objects.get(user=alice, name="laptop")
    assert client.post(f"/account/tokens/{laptop.public_id}/revoke/").status_code == 302
    assert not _works(mine) and _works(other)
    # Someone else's token is not found.
    phone = ApiToken.objects.get(user=alice, name="phone")
    assert as_user(ivan).post(f"/account/tokens/{phone.public_id}/revoke/").status_code == 404
    assert _works(other)


def test_a_token_is_shown_once_when_made_on_the_page(alice, as_user):
    client = as_user(alice)
    made = client.post("/account/tokens/", {"name": "Report script", "days": 30})
    assert made.status_code == 200
    secret = re.search(rb'data-testid="new-token"[^>]*>([0-9a-f]{64})<', made.content).group(1)
    assert owner_of(secret.decode()) == alice
    assert secret not in client.get("/account/tokens/").content


def test_a_new_password_ends_every_token_and_session(alice):
    first, second = api_token(alice, name="a"), api_token(alice, name="b")
    browser = Client()
    browser.force_login(alice)
    assert browser.get("/observe/").status_code == 200
    # The reset link's form (the change form and the admin's end in the same save).
    form = SetPasswordForm(
        alice, {"new_password1": "a new long one 2026", "new_password2": "a new long one 2026"}
    )
    assert form.is_valid()
    form.save()
    assert not _works(first) and not _works(second)
    assert browser.get("/observe/").status_code == 302  # back to the login page


def test_credentials_end_ends_sessions_without_a_new_password(alice):
    from core.credentials import credentials_end

    token = api_token(alice)
    browser = Client()
    browser.force_login(alice)
    credentials_end(user=alice)
    assert not _works(token)
    assert browser.get("/observe/").status_code == 302
    # A new sign-in works.
    fresh = Client()
    fresh.force_login(alice)
    assert fresh.get("/observe/").status_code == 200


# --- a school admin's integrations page -----------------------------------------------------


def test_a_school_admin_makes_an_integration_and_its_token_on_the_page(adam, school_a, as_user):
    client = as_user(adam)
    made = client.post("/school/integrations/", {"do": "account", "name": "MIS nightly sync"})
    assert made.status_code == 200
    secret = re.search(rb'data-testid="new-token"[^>]*>([0-9a-f]{64})<', made.content).group(1)
    account = owner_of(secret.decode())
    assert account.display_name == "MIS nightly sync"
    assert not account.has_usable_password()
    assert list(Membership.objects.filter(user=account).values_list("school", "role")) == [
        (school_a.pk, Role.INTEGRATION)
    ]
    page = client.get("/school/integrations/")
    assert b"MIS nightly sync" in page.content and secret not in page.content
    # A second token for it, then the first revoked.
    again = client.post(
        "/school/integrations/",
        {"do": "token", "account": account.pk, "name": "backup", "days": 30},
    )
    second = re.search(rb'data-testid="new-token"[^>]*>([0-9a-f]{64})<', again.content).group(1)
    first_row = ApiToken.objects.get(user=account, name="MIS nightly sync")
    assert (
        client.post(f"/school/integrations/tokens/{first_row.public_id}/revoke/").status_code == 302
    )
    assert owner_of(secret.decode()) is None
    assert owner_of(second.decode()) == account


def test_a_school_admin_cannot_touch_another_schools_or_a_persons_tokens(
    adam, bella, ivan, alice, school_b, as_user
):
    south = UserFactory(email="sis@south.test")
    MembershipFactory(user=south, school=school_b, role=Role.INTEGRATION)
    south_token = api_token(south, name="South MIS")
    row = ApiToken.objects.get(user=south)
    client = as_user(adam)
    assert b"South MIS" not in client.get("/school/integrations/").content
    assert client.post(f"/school/integrations/tokens/{row.public_id}/revoke/").status_code == 404
    made = client.post(
        "/school/integrations/", {"do": "token", "account": south.pk, "name": "x", "days": 5}
    )
    assert made.status_code == 404
    # A person's account is not an integration, even at the admin's own school.
    made = client.post(
        "/school/integrations/", {"do": "token", "account": alice.pk, "name": "x", "days": 5}
    )
    assert made.status_code == 404
    # Nor is an integration that also has a role at another school.
    MembershipFactory(user=ivan, school=school_b, role=Role.INTEGRATION)
    made = client.post(
        "/school/integrations/", {"do": "token", "account": ivan.pk, "name": "x", "days": 5}
    )
    assert made.status_code == 404
    assert _works(south_token)
    assert not ApiToken.objects.filter(user__in=[alice, ivan]).exists()
    # Teachers do not see the page at all.
    assert as_user(alice).get("/school/integrations/").status_code == 404


def test_a_token_made_before_hashing_keeps_working_and_its_plain_copy_is_gone(ivan):
    """Migration 0003: the old table's tokens become digests; the old table is dropped."""
    import importlib

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("core.migrations.0003_hash_existing_tokens")
    old = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz, "
            "user_id bigint)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, now(), %s)", [old, ivan.pk])
    with connection.schema_editor() as editor:
        migration.hash_old_tokens(apps, editor)
    assert "authtoken_token" not in connection.introspection.table_names()
    assert owner_of(old) == ivan
    assert not ApiToken.objects.filter(token_key=old).exists()  # only its first 15 characters
    assert ApiToken.objects.get(user=ivan).expiry > timezone.now() + dt.timedelta(days=89)


def test_the_accounts_roles_come_with_its_token_and_are_read_afresh_each_request(
    alice, school_a, school_b, django_assert_num_queries
):
    """The API's token authentication (schools.authentication) reads the account's roles at
    its schools in the token's own statement: they are what tenancy reads itself, a school
    joined or left shows on the next request, and an account with no school has none."""
    from rest_framework.test import APIRequestFactory

    from schools import tenancy
    from schools.authentication import TokenAuthentication

    token = api_token(alice)

    def roles_with_the_token() -> dict[int, str]:
        request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {token}")
        with django_assert_num_queries(1):
            user, _token = TokenAuthentication().authenticate(request)
        with django_assert_num_queries(0):
            return tenancy.school_roles(user)

    def roles_read_apart() -> dict[int, str]:
        return tenancy.school_roles(type(alice).objects.get(pk=alice.pk))

    assert roles_with_the_token() == roles_read_apart() == {school_a.pk: Role.TEACHER}
    Membership.objects.create(user=alice, school=school_b, role=Role.COUNSELLOR)
    both = roles_with_the_token()
    assert both == roles_read_apart() == {school_a.pk: Role.TEACHER, school_b.pk: Role.COUNSELLOR}
    Membership.objects.filter(user=alice).delete()
    assert roles_with_the_token() == roles_read_apart() == {}
