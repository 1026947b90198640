"""A second factor (authenticator codes, with recovery codes) for those who read case data:
a school can require it of its counsellors and school admins; enrolment and use are on the
pages; the API's token endpoint asks for the code too."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from tests.tokens import FACTORY_PASSWORD, token_client

pytestmark = pytest.mark.django_db


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code the person's app shows (`steps_ahead` periods later: a code is used once)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def sign_in(email: str) -> Client:
    client = Client()
    response = client.post("/login/", {"username": email, "password": FACTORY_PASSWORD})
    assert response.status_code == 302, response.content
    return client


def enrol(client: Client, user) -> list[str]:
    page = client.get("/account/second-factor/")
    assert page.status_code == 200
    secret = re.search(rb'data-testid="totp-secret">([A-Z2-7 ]+)<', page.content).group(1)
    assert b'src="data:image/svg+xml;base64,' in page.content  # the QR code, drawn inline
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert secret.replace(b" ", b"").decode() in TOTP_b32(device)
    done = client.post("/account/second-factor/", {"code": code_for(device)})
    assert done.status_code == 200
    return re.findall(r"<li><code>([a-z2-7]{8})</code></li>", done.content.decode())


def TOTP_b32(device) -> str:
    import base64

    return base64.b32encode(device.bin_key).decode()


@pytest.fixture
def required(school_a):
    school_a.second_factor_required = True
    school_a.save(update_fields=["second_factor_required"])
    return school_a


def test_a_counsellor_of_a_school_that_requires_it_must_enrol_before_any_page(
    required, carol, alice
):
    client = sign_in(carol.email)
    for url in ("/cases/", "/observe/", "/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/account/second-factor/?next=")
    assert client.get("/api/cases/").status_code == 403
    assert "second-factor code" in client.get("/api/cases/").json()["detail"]
    # A teacher of the same school is not asked (they read no case data).
    assert sign_in(alice.email).get("/observe/").status_code == 200


def test_enrolment_gives_recovery_codes_and_opens_the_pages(required, carol):
    client = sign_in(carol.email)
    codes = enrol(client, carol)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/cases/").status_code == 200
    assert TOTPDevice.objects.filter(user=carol, confirmed=True).count() == 1


def test_a_wrong_enrolment_code_changes_nothing(required, carol):
    client = sign_in(carol.email)
    client.get("/account/second-factor/")
    device = TOTPDevice.objects.get(user=carol)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    answer = client.post("/account/second-factor/", {"code": wrong})
    assert b"That code is not right" in answer.content
    assert not TOTPDevice.objects.filter(user=carol, confirmed=True).exists()
    assert client.get("/cases/").status_code == 302


def test_the_next_sign_in_asks_for_the_code_and_a_recovery_code_works_once(required, carol):
    codes = enrol(sign_in(carol.email), carol)
    device = TOTPDevice.objects.get(user=carol)

    client = sign_in(carol.email)
    assert client.get("/cases/")["Location"].startswith("/login/code/?next=")
    right = code_for(device, steps_ahead=1)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    assert b"That code is not right" in client.post("/login/code/", {"code": wrong}).content
    assert client.get("/cases/").status_code == 302
    # After a wrong code the next attempt must wait (django-otp's throttling), even a right one.
    assert b"Too many wrong codes" in client.post("/login/code/", {"code": right}).content
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - dt.timedelta(minutes=1)
    )
    answer = client.post("/login/code/", {"code": right, "next": "/cases/"})
    assert answer.status_code == 302 and answer["Location"] == "/cases/"
    assert client.get("/cases/").status_code == 200

    phone_lost = sign_in(carol.email)
    assert phone_lost.post("/login/code/", {"code": codes[0]}).status_code == 302
    assert phone_lost.get("/cases/").status_code == 200
    assert StaticToken.objects.filter(device__user=carol).count() == 9
    again = sign_in(carol.email)
    assert b"That code is not right" in again.post("/login/code/", {"code": codes[0]}).content


def test_anyone_who_enrolled_is_asked_for_the_code(alice):
    enrol(sign_in(alice.email), alice)
    client = sign_in(alice.email)
    assert client.get("/observe/")["Location"].startswith("/login/code/")


def test_the_token_endpoint_asks_for_the_code(required, carol, cora):
    api = APIClient()
    # Required but not enrolled: told to enrol on the pages.
    refused = api.post("/api/auth/token/", {"username": carol.email, "password": FACTORY_PASSWORD})
    assert refused.status_code == 403
    assert "enrol" in refused.json()["detail"]
    enrol(sign_in(carol.email), carol)
    device = TOTPDevice.objects.get(user=carol)
    no_code = api.post("/api/auth/token/", {"username": carol.email, "password": FACTORY_PASSWORD})
    assert no_code.status_code == 400 and "otp" in no_code.json()
    answer = api.post(
        "/api/auth/token/",
        {
            "username": carol.email,
            "password": FACTORY_PASSWORD,
            "otp": code_for(device, steps_ahead=1),
        },
    )
    assert answer.status_code == 200
    assert token_client(token=answer.json()["token"]).get("/api/cases/").status_code == 200
    # A counsellor of a school that does not require it gets a token with a password alone.
    plain = api.post("/api/auth/token/", {"username": cora.email, "password": FACTORY_PASSWORD})
    assert plain.status_code == 200


def test_turning_the_requirement_on_signs_out_those_who_must_enrol(school_a, adam, carol, alice):
    from tests.tokens import api_token

    admin = sign_in(adam.email)
    counsellor = sign_in(carol.email)
    teacher = sign_in(alice.email)
    carol_token = api_token(carol)
    assert counsellor.get("/cases/").status_code == 200
    # The admin must have their own second factor first.
    refused = admin.post(
        "/school/security/", {"do": "second-factor", "required": "on"}, follow=True
    )
    assert b"Set up your own second factor first" in refused.content
    school_a.refresh_from_db()
    assert not school_a.second_factor_required

    enrol(admin, adam)
    admin.post("/school/security/", {"do": "second-factor", "required": "on"})
    school_a.refresh_from_db()
    assert school_a.second_factor_required
    assert counsellor.get("/cases/").status_code == 302  # signed out
    assert token_client(token=carol_token).get("/api/cases/").status_code == 403
    assert teacher.get("/observe/").status_code == 200
    assert admin.get("/rules/").status_code == 200
    assert sign_in(carol.email).get("/cases/")["Location"].startswith("/account/second-factor/")


def test_a_required_second_factor_cannot_be_removed(required, carol):
    client = sign_in(carol.email)
    enrol(client, carol)
    client.post("/account/second-factor/remove/")
    assert TOTPDevice.objects.filter(user=carol, confirmed=True).exists()


def test_a_voluntary_second_factor_can_be_removed(alice):
    client = sign_in(alice.email)
    enrol(client, alice)
    client.post("/account/second-factor/remove/")
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert sign_in(alice.email).get("/observe/").status_code == 200
