"""Staff enrolment cannot cross schools: a school admin invites an address; the answer is the
same whatever the address; an existing account joins only when its owner, signed in, accepts;
a person of several schools always chooses the school a page or form is for."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import User
from schools.models import Invitation, Membership, Observation, Role
from tests.factories import MembershipFactory, StudentFactory, UserFactory
from tests.tokens import FACTORY_PASSWORD, token_client

pytestmark = pytest.mark.django_db


def _invite(client, email, role="teacher", *, capture):
    with capture(execute=True), CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("staff"), {"email": email, "role": role}, follow=True)
    return response, queries


def _answer_text(response) -> str:
    return " ".join(m.message for m in response.context["messages"])


def _link(message) -> str:
    return re.search(r"https?://[^/\s]+(/invitations/\S+/)", message.body).group(1)


def test_the_admins_answer_is_the_same_whatever_the_address(
    as_user, adam, bob, school_a, school_b, django_capture_on_commit_callbacks
):
    client = as_user(adam)
    # bob has an account at another school; the other address has none.
    existing, existing_q = _invite(
        client, "bob@south.test", capture=django_capture_on_commit_callbacks
    )
    new, new_q = _invite(client, "nobody@north.test", capture=django_capture_on_commit_callbacks)
    assert existing.status_code == new.status_code == 200
    assert _answer_text(existing).replace("bob@south.test", "X") == _answer_text(new).replace(
        "nobody@north.test", "X"
    )
    assert "An invitation to join North Academy as teacher was sent to" in _answer_text(new)
    # The same work, and nothing about accounts in it.
    assert len(existing_q.captured_queries) == len(new_q.captured_queries)
    # Nobody joined, no account was made, and both got the same e-mail.
    assert not Membership.objects.filter(user=bob, school=school_a).exists()
    assert not User.objects.filter(email="nobody@north.test").exists()
    assert [m.to for m in mail.outbox] == [["bob@south.test"], ["nobody@north.test"]]
    assert mail.outbox[0].body.replace(_link(mail.outbox[0]), "L") == mail.outbox[1].body.replace(
        _link(mail.outbox[1]), "L"
    )
    # The staff page lists both as invitations, nothing more.
    page = client.get(reverse("staff")).content.decode()
    assert page.count("Withdraw the invitation to") == 2


def test_an_existing_account_joins_only_when_its_owner_accepts_signed_in(
    as_user, adam, bob, school_a, django_capture_on_commit_callbacks
):
    _invite(
        as_user(adam), "bob@south.test", "counsellor", capture=django_capture_on_commit_callbacks
    )
    link = _link(mail.outbox[0])
    visitor = Client()
    # Not signed in: the page asks to log in (and a POST joins nothing).
    page = visitor.get(link)
    assert b"Log in to accept" in page.content
    visitor.post(link, {"answer": "accept"})
    assert not Membership.objects.filter(user=bob, school=school_a).exists()
    # Signed in as someone else: refused.
    assert as_user(adam).post(link, {"answer": "accept"}).status_code == 403
    assert not Membership.objects.filter(user=bob, school=school_a).exists()
    # bob, signed in, accepts.
    owner = Client()
    login = owner.post(
        f"/login/?next={link}",
        {"username": "bob@south.test", "password": FACTORY_PASSWORD, "next": link},
    )
    assert login["Location"] == link
    assert b"Accept and join North Academy" in owner.get(link).content
    joined = owner.post(link, {"answer": "accept"})
    assert joined.status_code == 302
    assert Membership.objects.get(user=bob, school=school_a).role == Role.COUNSELLOR
    # The link works once.
    assert owner.get(link).status_code == 404


def test_a_new_address_chooses_a_password_and_joins(
    as_user, adam, school_a, django_capture_on_commit_callbacks
):
    _invite(as_user(adam), "New.Teacher@North.test", capture=django_capture_on_commit_callbacks)
    link = _link(mail.outbox[0])
    assert mail.outbox[0].to == ["new.teacher@north.test"]
    client = Client()
    weak = client.post(link, {"new_password1": "abc", "new_password2": "abc"})
    assert weak.status_code == 200 and not User.objects.filter(email="new.teacher@north.test")
    done = client.post(
        link, {"new_password1": "a long new passphrase", "new_password2": "a long new passphrase"}
    )
    assert done.status_code == 302
    user = User.objects.get(email="new.teacher@north.test")
    assert user.check_password("a long new passphrase")
    assert Membership.objects.get(user=user, school=school_a).role == Role.TEACHER
    assert client.get("/observe/").status_code == 200


def test_inviting_again_replaces_the_link_and_withdrawing_ends_it(
    as_user, adam, school_a, django_capture_on_commit_callbacks
):
    client = as_user(adam)
    _invite(client, "late@north.test", capture=django_capture_on_commit_callbacks)
    _invite(client, "late@north.test", "counsellor", capture=django_capture_on_commit_callbacks)
    first, second = _link(mail.outbox[0]), _link(mail.outbox[1])
    assert Client().get(first).status_code == 404
    assert b"as <strong>counsellor</strong>" in Client().get(second).content
    invitation = Invitation.objects.get(email="late@north.test", withdrawn_at__isnull=True)
    client.post(reverse("invitation-withdraw", args=[invitation.pk]))
    assert Client().get(second).status_code == 404


def test_an_invitation_is_only_for_a_persons_role_and_not_for_a_member(
    as_user, adam, alice, school_a
):
    client = as_user(adam)
    assert (
        client.post(reverse("staff"), {"email": "x@north.test", "role": "integration"}).status_code
        == 200
    )
    already = client.post(reverse("staff"), {"email": "ALICE@north.test", "role": "teacher"})
    assert b"already has a role here" in already.content
    assert not Invitation.objects.exists()


def test_another_schools_admin_cannot_withdraw_or_see_an_invitation(
    as_user, adam, bella, school_a, django_capture_on_commit_callbacks
):
    _invite(as_user(adam), "z@north.test", capture=django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    assert (
        as_user(bella).post(reverse("invitation-withdraw", args=[invitation.pk])).status_code == 404
    )
    assert b"z@north.test" not in as_user(bella).get(reverse("staff")).content


def test_a_school_admin_cannot_add_a_membership_in_the_django_admin(adam, bob, school_a):
    adam.is_staff = True
    adam.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(adam)
    assert client.get("/admin/schools/membership/add/").status_code == 403


def test_removing_a_membership_ends_the_accounts_tokens_and_sessions(as_user, adam, alice):
    token = token_client(alice)
    browser = Client()
    browser.force_login(alice)
    membership = Membership.objects.get(user=alice)
    as_user(adam).post(reverse("staff-remove", args=[membership.pk]))
    assert token.get("/api/schools/").status_code == 403
    assert browser.get("/observe/").status_code == 302


# --- several schools: always chosen, never a default ---------------------------------------


@pytest.fixture
def both(alice, school_b):
    """alice teaches at north and at south: S-0002 exists at both."""
    MembershipFactory(user=alice, school=school_b, role=Role.TEACHER)
    return alice


def test_a_page_for_someone_of_several_schools_asks_which(as_user, both, school_a, school_b):
    client = as_user(both)
    for url in ("/observe/", "/register/"):
        page = client.get(url)
        assert page.status_code == 200
        assert b"Which school is this for?" in page.content
        assert f"{url}?school=north".encode() in page.content
        assert f"{url}?school=south".encode() in page.content
    chosen = client.get("/observe/?school=south")
    assert b"Log an observation \xc2\xb7 South High" in chosen.content


def test_a_form_without_its_school_saves_nothing(as_user, both, school_a, school_b):
    StudentFactory(school=school_a, code="S-0002")
    south_student = StudentFactory(school=school_b, code="S-0002")
    client = as_user(both)
    form = {
        "student": "S-0002",
        "signs": ["ISOLATION"],
        "observed_on": school_b.today().isoformat(),
        "note": "",
        "client_id": "5f1b5f0e-8f6e-4c1f-9f7a-3c2d1e0f9a8b",
    }
    refused = client.post("/observe/", form)
    assert refused.status_code == 400
    assert b"nothing was saved" in refused.content
    assert not Observation.objects.exists()
    saved = client.post("/observe/", {**form, "school": "south"})
    assert saved.status_code == 302
    assert Observation.objects.get().student == south_student


def test_an_api_write_without_its_school_is_refused_when_ambiguous(both, school_a, school_b):
    StudentFactory(school=school_a, code="S-0002")
    StudentFactory(school=school_b, code="S-0002")
    api = token_client(both)
    answer = api.post(
        "/api/observations/",
        {"student": "S-0002", "signs": ["ISOLATION"], "observed_on": school_b.today().isoformat()},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json()["school"] == ["You work at several schools: name the school by its code."]
    assert not Observation.objects.exists()


def test_one_school_needs_no_choice(as_user, alice, school_a):
    assert b"Which school" not in as_user(alice).get("/observe/").content


def test_users_of_one_school_keep_their_pages(as_user, bob, school_b):
    assert as_user(bob).get("/observe/").status_code == 200


def test_an_unrelated_account_is_not_listed_to_an_admin(as_user, adam, school_a):
    UserFactory(email="stranger@elsewhere.test")
    assert b"stranger@elsewhere.test" not in as_user(adam).get(reverse("staff")).content
