"""API tokens for the tests, obtained the way an integration obtains one: from the token
endpoint, with the account's password (the factories' password)."""

from __future__ import annotations

from rest_framework.test import APIClient

FACTORY_PASSWORD = "correct horse battery"


def api_token(user) -> str:
    answer = APIClient().post(
        "/api/auth/token/", {"username": user.email, "password": FACTORY_PASSWORD}, format="json"
    )
    assert answer.status_code == 200, answer.content
    return answer.json()["token"]


def token_client(user) -> APIClient:
    """An API client that sends `user`'s token on every request (no session)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client
