"""A sign-in lasts a school day at most, and ends when the browser closes; both settings."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from tests.tokens import FACTORY_PASSWORD

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_a_sign_in_lasts_eight_hours_and_ends_with_the_browser(client, alice, time_machine):
    time_machine.move_to(timezone.now(), tick=False)  # the clock stands still for this test
    response = client.post("/login/", {"username": alice.email, "password": FACTORY_PASSWORD})
    assert response.status_code == 302
    session = client.session
    assert session.get_expiry_age() == 8 * 60 * 60
    assert session.get_expiry_date() - timezone.now() == dt.timedelta(hours=8)
    # No Max-Age or Expires: the browser forgets the cookie when it closes.
    cookie = response.cookies["sessionid"]
    assert cookie["max-age"] == "" and cookie["expires"] == ""


def _settings_with(**env) -> str:
    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_AGE, s.SESSION_EXPIRE_AT_BROWSER_CLOSE)"
    )
    result = subprocess.run(  # noqa: S603 (our own manage.py, a fixed argument list)
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=BASE_DIR,
        env=os.environ | {"DEBUG": "true"} | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def test_both_are_settings():
    assert _settings_with() == "28800 True"
    assert (
        _settings_with(SESSION_COOKIE_AGE="3600", SESSION_EXPIRE_AT_BROWSER_CLOSE="false")
        == "3600 False"
    )
