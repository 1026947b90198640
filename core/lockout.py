"""Failed sign-ins: who is locked out, for how long, what they are told, and rate limits.

django-axes counts failed sign-ins (the login page, the Django admin's, and the API token
endpoint) per account *and* address: after AXES_FAILURE_LIMIT failures from one address for one
e-mail, that pair is refused for AXES_COOLOFF_TIME, counted again from each further failure. A
colleague at another computer, or the same person at home, is not locked out by someone
guessing at school. A school admin unlocks their school's staff from the staff page; a
superuser unlocks anyone in the Django admin (Axes > Access attempts).

The password-reset page and the token endpoint are also rate limited per address (and the
reset page per e-mail address) by Django REST framework's throttles, so neither can be used
to send a flood of e-mails or to guess passwords from many accounts at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math

from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import ngettext
from rest_framework.throttling import SimpleRateThrottle


def username_of(request: HttpRequest, credentials: dict | None) -> str:
    """The account a sign-in attempt names, as Axes counts it: the e-mail address in lower
    case and without spaces around it, as accounts are found (so `Alice@North.test` and
    `alice@north.test` are one count, not two)."""
    field = settings.AXES_USERNAME_FORM_FIELD
    value = (credentials or {}).get(field)
    if value is None:
        value = request.POST.get(field, "") if hasattr(request, "POST") else ""
    return str(value).strip().lower()


def client_ip(request: HttpRequest) -> str:
    """The address a request came from. Behind TRUSTED_PROXY_HOPS proxies (each appending to
    X-Forwarded-For), the address the nearest trusted proxy saw; with none, the socket's peer.
    A client cannot choose its own address by sending the header: only entries added by the
    trusted proxies are read."""
    hops = settings.TRUSTED_PROXY_HOPS
    remote = request.META.get("REMOTE_ADDR", "")
    if hops <= 0:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if len(forwarded) < hops:
        return forwarded[0] if forwarded else remote
    return forwarded[-hops]


def retry_at(now: dt.datetime | None = None) -> dt.datetime:
    """When a locked-out account and address may try again: each failure, including one
    during the lockout, starts the cool-off again, so the answer is now + AXES_COOLOFF_TIME."""
    return (now or timezone.now()) + get_cool_off()


def lockout_message(when: dt.datetime, now: dt.datetime | None = None) -> str:
    minutes = max(1, math.ceil((when - (now or timezone.now())).total_seconds() / 60))
    local = timezone.localtime(when)
    return ngettext(
        "Too many failed sign-ins for this account from this address. Try again after "
        "%(time)s (%(zone)s), in %(n)d minute, or ask your school admin to unlock your account.",
        "Too many failed sign-ins for this account from this address. Try again after "
        "%(time)s (%(zone)s), in %(n)d minutes, or ask your school admin to unlock your account.",
        minutes,
    ) % {"time": f"{local:%H:%M}", "zone": settings.TIME_ZONE, "n": minutes}


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """What a locked-out sign-in is answered (AXES_LOCKOUT_CALLABLE): 429 with when to try
    again, as JSON under /api/ and as the login page elsewhere, and a Retry-After header."""
    now = timezone.now()
    when = retry_at(now)
    message = lockout_message(when, now)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": message, "retry_after": when.isoformat()}, status=429
        )
    else:
        response = render(
            request,
            "registration/locked_out.html",
            {"message": message, "retry_after": when},
            status=429,
        )
    response["Retry-After"] = str(max(1, int((when - now).total_seconds())))
    return response


class _PageThrottle(SimpleRateThrottle):
    """DRF's rate-limit bookkeeping (a sliding window in the cache) for a plain Django view:
    `allow(request)` records one request and says whether it is within the rate."""

    def get_ident(self, request) -> str:
        return client_ip(request)

    def allow(self, request) -> bool:
        # A plain Django view has no DRF view to pass; SimpleRateThrottle does not use it.
        return self.allow_request(request, None)  # type: ignore[arg-type]

    def retry_message(self) -> str:
        minutes = max(1, math.ceil((self.wait() or 60) / 60))
        return ngettext(
            "Too many password-reset requests. Try again in %(n)d minute.",
            "Too many password-reset requests. Try again in %(n)d minutes.",
            minutes,
        ) % {"n": minutes}


class PasswordResetAddressThrottle(_PageThrottle):
    """Reset requests from one address (every request counts, whatever the e-mail)."""

    scope = "password-reset-address"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PasswordResetEmailThrottle(_PageThrottle):
    """Reset requests for one e-mail address, from anywhere: counted the same for an
    address with an account and one without, so the limit tells nothing either."""

    scope = "password-reset-email"

    def __init__(self, email: str):
        # The cache key holds a digest, not the address.
        self.ident = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        super().__init__()

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.ident}
