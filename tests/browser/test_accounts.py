"""Accounts in Debian's Chromium against the live server: accepting an invitation, and a
counsellor enrolling a second factor and signing in with it (and with a recovery code)."""

from __future__ import annotations

import base64
import re
import time

import pytest
from django.core import mail
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from schools.models import Membership, Role

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def _password_step(page, email: str) -> None:
    page.goto("/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_a_counsellor_enrols_a_second_factor_and_signs_in_with_it(open_browser, school_a, carol):
    school_a.second_factor_required = True
    school_a.save(update_fields=["second_factor_required"])
    browser = open_browser()
    page = browser.page
    _password_step(page, carol.email)
    # Straight to enrolment: no other page opens before it.
    assert "/account/second-factor/" in page.url
    page.get_by_text("Your school requires a second factor").wait_for()
    assert page.get_by_role("img", name=re.compile("QR code")).is_visible()
    shown_key = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    device = TOTPDevice.objects.get(user=carol, confirmed=False)
    assert shown_key == base64.b32encode(device.bin_key).decode().rstrip("=")
    browser.shot("desktop-second-factor-enrol")
    # The person types the code their app shows.
    page.get_by_label("Code from the app").fill(_code(device))
    page.get_by_role("button", name="Turn on").click()
    page.get_by_role("heading", name="Your recovery codes").wait_for()
    codes = page.get_by_test_id("recovery-codes").inner_text().split()
    assert len(codes) == 10
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url(re.compile(r"/cases/"))

    browser.logout()
    _password_step(page, carol.email)
    assert "/login/code/" in page.url
    page.get_by_label("Code").fill(_code(device, steps_ahead=1))
    browser.shot("desktop-second-factor-code")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/cases/"))
    assert page.get_by_role("heading", name="Cases").is_visible()

    # The phone is lost: a recovery code signs in once.
    browser.logout()
    _password_step(page, carol.email)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/cases/"))
    page.get_by_text("You used a recovery code; 9 left.").wait_for()


def test_an_invited_colleague_with_an_account_accepts_while_signed_in(
    open_browser, school_a, adam, bob
):
    admin = open_browser()
    admin.login(adam)
    admin.page.goto("/school/staff/")
    admin.page.get_by_label("E-mail address").fill(bob.email)
    admin.page.get_by_label("Role:", exact=True).select_option("counsellor")
    admin.page.get_by_role("button", name="Send the invitation").click()
    admin.page.get_by_text(
        f"An invitation to join {school_a.name} as counsellor was sent to {bob.email}."
    ).wait_for()
    admin.shot("desktop-staff-invited")
    assert not Membership.objects.filter(user=bob, school=school_a).exists()

    link = re.search(r"https?://\S+(/invitations/\S+/)", mail.outbox[-1].body).group(1)
    invited = open_browser()
    page = invited.page
    page.goto(link)
    page.get_by_role("link", name="Log in to accept").click()
    page.get_by_label("E-mail address").fill(bob.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name=f"Accept and join {school_a.name}").click()
    page.get_by_text(f"You joined {school_a.name} as counsellor.").wait_for()
    invited.shot("desktop-invitation-accepted")
    assert Membership.objects.get(user=bob, school=school_a).role == Role.COUNSELLOR
    # bob now works at two schools: the observation page asks which one.
    page.goto("/observe/")
    page.get_by_role("heading", name="Which school is this for?").wait_for()
    page.get_by_role("link", name=re.compile(school_a.name)).click()
    page.get_by_role("heading", name=f"Log an observation · {school_a.name}").wait_for()
