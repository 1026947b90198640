"""API token authentication that reads the account's roles at its schools in the token's own
statement: every API request checks them (schools.permissions, schools.tenancy), so with the
token, the account and its roles in one query a request makes one round trip fewer."""

from __future__ import annotations

from core.authentication import TokenAuthentication as CoreTokenAuthentication
from core.models import User

from . import tenancy


class TokenAuthentication(CoreTokenAuthentication):
    also_read = tenancy.ROLES_OF_ACCOUNT

    def account_read(self, user: User, values: tuple) -> None:
        school_ids, roles = values
        tenancy.school_roles_read(user, school_ids, roles)
