"""API token authentication: django-rest-knox's, minus its sweep of the account's other tokens.

knox reads every token of the account on every request, to delete the expired ones: one more
query on each API call, the observation POST included. Here only the presented token is
checked: an expired one is refused and deleted, as knox does; the account's other expired
tokens are refused the same way when they are presented, and are never valid meanwhile.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from knox.auth import TokenAuthentication as KnoxTokenAuthentication


class TokenAuthentication(KnoxTokenAuthentication):
    def _cleanup_token(self, auth_token: Any) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False
