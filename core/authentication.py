"""API token authentication: django-rest-knox's, minus its sweep of the account's other tokens,
with the presented token read by one hand-written query.

knox reads every token of the account on every request, to delete the expired ones: one more
query on each API call, the observation POST included. Here only the presented token is
checked: an expired one is refused and deleted, as knox does; the account's other expired
tokens are refused the same way when they are presented, and are never valid meanwhile.

The token and its account are one SELECT (core/rows.py): the ORM's compilation of knox's
queryset was about 0.9 ms of CPU on every API request. A subclass may read more of the
account in the same statement (`also_read`): the API's own, schools.authentication, reads the
account's roles at its schools, which every API request checks.

What is checked, and in what order, is knox's: the expiry, the digest (compared in constant
time), the account being active. A token that does not match is refused by knox's own code,
so its answer and message stay knox's.
"""

from __future__ import annotations

import binascii
from hmac import compare_digest
from typing import Any, ClassVar

from django.db import connection
from django.utils import timezone
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS, knox_settings

from .models import ApiToken, User
from .rows import column, columns, instance, prepared_cursor, table


def _tokens_with_key(token_key: str, also: tuple[str, ...] = ()) -> list[tuple[ApiToken, tuple]]:
    """The tokens whose key is `token_key`, each with its account, newest first (knox's
    order: its model's), and the values of the SQL expressions `also` over the account's row
    (alias `u`): what a subclass reads with the account in the same statement."""
    # Only the models' own table and column names, and the project's own `also` expressions,
    # are formatted in; the token is a parameter.
    extra = "".join(f", {expression}" for expression in also)
    sql = (
        f"SELECT {columns(ApiToken, 't')}, {columns(User, 'u')}{extra} "  # noqa: S608
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
            token.user, end = instance(User, row, after)
            found.append((token, tuple(row[end:])))
    return found


class TokenAuthentication(KnoxTokenAuthentication):
    #: SQL expressions over the account's row (alias `u`), read in the token's own statement
    #: and handed to `account_read` with their values: how a subclass loads what every
    #: request of the account needs without another query (schools/authentication.py).
    #: PostgreSQL's SQL: on another database (the embedded demo's SQLite) they are not read,
    #: and what they would have loaded is read when it is first needed, as without them.
    also_read: ClassVar[tuple[str, ...]] = ()

    def account_read(self, user: User, values: tuple) -> None:
        """Keep the values of `also_read` for the account `user` (nothing here)."""

    def authenticate_credentials(self, token: bytes) -> tuple[Any, Any]:
        text = token.decode("utf-8")
        try:
            digest = hash_token(text)
        except (TypeError, binascii.Error):
            digest = None
        if digest is not None:
            key = text[: CONSTANTS.TOKEN_KEY_LENGTH]
            also = self.also_read if connection.vendor == "postgresql" else ()
            for auth_token, values in _tokens_with_key(key, also):
                if self._cleanup_token(auth_token):
                    continue
                if compare_digest(digest, auth_token.digest):
                    if also:
                        self.account_read(auth_token.user, values)
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
