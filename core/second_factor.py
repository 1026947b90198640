"""The second factor: a time-based code from an authenticator app (TOTP), with one-time
recovery codes for the day the phone is lost (django-otp).

Who is asked for a code: everyone who has enrolled, at every sign-in; and counsellors and
school admins of a school that requires a second factor (School.second_factor_required), who
must enrol before any other page opens. A signed-in session that still owes its code reaches
only the code page, the enrolment page and log out; the API answers it 403.

Codes are checked against one device at a time; each device counts its failures and makes
every further attempt wait longer (django-otp's throttling, OTP_*_THROTTLE_FACTOR seconds
doubled per failure).
"""

from __future__ import annotations

import base64
import io
from typing import Any
from urllib.parse import urlencode

import segno
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import audit_record
from .models import User

# The schools app knows who must use a second factor (core knows nothing of schools).
REQUIRED_FOR = "schools.selectors.second_factor_required"
SESSION_KEY = "second_factor"  # "needed" or "not-needed", decided at sign-in
RECOVERY_CODES = 10
TOTP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


def required_for(user: User) -> bool:
    return bool(import_string(REQUIRED_FOR)(user))


def enrolled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def needed(user: User) -> bool:
    """Whether `user` must give a code after their password."""
    return enrolled(user) or required_for(user)


def mark_session(request: HttpRequest, user: User) -> None:
    """Decide at sign-in whether this session owes a code (so pages need not ask again)."""
    request.session[SESSION_KEY] = "needed" if needed(user) else "not-needed"


def qr_svg_data_uri(device: TOTPDevice) -> str:
    """The enrolment QR code as an SVG data URI (the page loads nothing from elsewhere)."""
    buffer = io.BytesIO()
    segno.make(device.config_url, error="m").save(buffer, kind="svg", scale=5, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def secret_of(device: TOTPDevice) -> str:
    """The key in base32, grouped by four, for typing into an app by hand."""
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def totp_start(*, user: User) -> TOTPDevice:
    """An unconfirmed authenticator for `user` (the one already started, if any): it counts
    only once a code from it has been entered (`totp_confirm`)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def totp_confirm(*, request: HttpRequest, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm `device` with a code it shows: it replaces any earlier authenticator, the
    session counts as verified, and new recovery codes are made and returned (shown once).
    A wrong code: None, and nothing changes."""
    if not device.verify_token(_digits(code)):
        return None
    user = device.user
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        audit_record(actor=user, action="second_factor.enrol", obj=user, school_id=None)
    otp_login(request, device)
    request.session[SESSION_KEY] = "needed"
    return codes


def recovery_codes_renew(*, user: User) -> list[str]:
    """New recovery codes; the old ones stop working."""
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        audit_record(actor=user, action="second_factor.recovery_codes", obj=user, school_id=None)
    return codes


def second_factor_remove(*, user: User, by: User) -> None:
    """Remove `user`'s authenticator and recovery codes (a superuser, or the person
    themselves where no school requires it; the caller checks which)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit_record(actor=by, action="second_factor.remove", obj=user, school_id=None)


def _digits(code: str) -> str:
    return "".join(ch for ch in (code or "") if not ch.isspace())


class CodeRefused(Exception):
    """The code was wrong, or the device is waiting after earlier wrong codes."""


def code_check(*, user: User, code: str):
    """The device that accepts `code` for `user` (an authenticator code of digits, or one of
    the recovery codes, which then stops working). Raises CodeRefused with what to tell the
    person."""
    code = _digits(code).lower()
    if code.isdigit():
        devices: list[Any] = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    else:
        devices = list(StaticDevice.objects.filter(user=user, confirmed=True))
    for device in devices:
        allowed, _why = device.verify_is_allowed()
        if not allowed:
            raise CodeRefused(
                _("Too many wrong codes: wait a minute, then enter the code your app shows now.")
            )
        with transaction.atomic():
            if device.verify_token(code):
                return device
    raise CodeRefused(_("That code is not right. Enter the code your app shows now."))


# --- the session that still owes its code -------------------------------------------------

OPEN_PATHS = ("/login/", "/logout/", "/static/", "/health/", "/account/second-factor/")


class SecondFactorMiddleware:
    """A signed-in session that owes a code reaches only the code page, enrolment and log
    out. Placed after django-otp's OTPMiddleware, which tells whether the session has given
    its code."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(OPEN_PATHS)
            and self._owes_code(request, user)
        ):
            return self._refuse(request, user)
        return self.get_response(request)

    @staticmethod
    def _owes_code(request, user) -> bool:
        state = request.session.get(SESSION_KEY)
        if state is None:  # a session from before this check existed
            mark_session(request, user)
            state = request.session[SESSION_KEY]
        return state == "needed"

    @staticmethod
    def _refuse(request, user):
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": _("This sign-in needs its second-factor code: enter it on the page.")},
                status=403,
            )
        target = "login-code" if enrolled(user) else "second-factor"
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse(target)}?{query}")
