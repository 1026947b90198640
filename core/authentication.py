"""API token authentication: django-rest-knox's, minus its sweep of the account's other tokens,
with the presented token read by one hand-written query.

knox reads every token of the account on every request, to delete the expired ones: one more
query on each API call, the observation POST included. Here only the presented token is
checked: an expired one is refused and deleted, as knox does; the account's other expired
tokens are refused the same way when they are presented, and are never valid meanwhile.

The token and its account are one SELECT (core/rows.py): the ORM's compilation of knox's
queryset was about 0.9 ms of CPU on every API request. What is checked, and in what order, is
knox's: the expiry, the digest (compared in constant time), the account being active. A token
that does not match is refused by knox's own code, so its answer and message stay knox's.
"""

from __future__ import annotations

import binascii
from hmac import compare_digest
from typing import Any

from django.utils import timezone
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS, knox_settings

from .models import ApiToken, User
from .rows import column, columns, instance, prepared_cursor, table


def _tokens_with_key(token_key: str) -> list[ApiToken]:
    """The tokens whose key is `token_key`, each with its account, newest first (knox's
    order: its model's)."""
    # Only the models' own table and column names are formatted in; the token is a parameter.
    sql = (
        f"SELECT {columns(ApiToken, 't')}, {columns(User, 'u')} "  # noqa: S608
        f"FROM {table(ApiToken)} t "
        f"JOIN {table(User)} u ON u.{column(User, 'id')} = t.{column(ApiToken, 'user')} "
        f"WHERE t.{column(ApiToken, 'token_key')} = %s "
        f"ORDER BY t.{column(ApiToken, 'created')} DESC"
    )
    found = []
    with prepared_cursor() as cursor:
        cursor.execute(sql, [token_key])
        for row in cursor.fetchall():
            token, after = instance(ApiToken, row)
            token.user, _end = instance(User, row, after)
            found.append(token)
    return found


class TokenAuthentication(KnoxTokenAuthentication):
    def authenticate_credentials(self, token: bytes) -> tuple[Any, Any]:
        text = token.decode("utf-8")
        try:
            digest = hash_token(text)
        except (TypeError, binascii.Error):
            digest = None
        if digest is not None:
            for auth_token in _tokens_with_key(text[: CONSTANTS.TOKEN_KEY_LENGTH]):
                if self._cleanup_token(auth_token):
                    continue
                if compare_digest(digest, auth_token.digest):
                    if knox_settings.AUTO_REFRESH and auth_token.expiry:
                        self.renew_token(auth_token)
                    return self.validate_user(auth_token)
        # Refused: by knox itself, with its message (one more query, on this path only).
        return super().authenticate_credentials(token)

    def _cleanup_token(self, auth_token: Any) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False
