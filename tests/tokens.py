"""API tokens for the tests, obtained the way an integration obtains one: from the token
endpoint, with the account's password (the factories' password)."""

from __future__ import annotations

from rest_framework.test import APIClient

from core.models import User

FACTORY_PASSWORD = "correct horse battery"


def api_token(user, **extra) -> str:
    answer = APIClient().post(
        "/api/auth/token/",
        {"username": user.email, "password": FACTORY_PASSWORD, **extra},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    return answer.json()["token"]


def token_client(user=None, *, token: str | None = None) -> APIClient:
    """An API client that sends `user`'s token (or `token`) on every request (no session)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token or api_token(user)}")
    return client


def owner_of(token: str) -> User | None:
    """The account a token signs in as, asked of the API itself (None: refused)."""
    from django.test import RequestFactory
    from knox.auth import TokenAuthentication
    from rest_framework.exceptions import AuthenticationFailed

    request = RequestFactory().get("/api/schools/", HTTP_AUTHORIZATION=f"Token {token}")
    try:
        found = TokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        return None
    return found[0] if found else None
