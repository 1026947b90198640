"""API tokens and the end of every credential of an account.

Tokens are django-rest-knox's: random, stored as a SHA-512 digest, shown once. Each has a
name (where it is used) and an expiry; an expired token is refused and deleted when next
presented. Every token and every session of an account ends when its password is set anew
(reset, change, admin) and when it loses a membership (`credentials_end`).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit_record
from .models import ApiToken, User

TOKEN_NAME_MAX = ApiToken._meta.get_field("name").max_length


def token_create(
    *, user: User, name: str, days: int | None = None, by: User | None = None
) -> tuple[ApiToken, str]:
    """Make a token for `user`, named `name`, valid `days` (API_TOKEN_DAYS by default, at most
    API_TOKEN_MAX_DAYS). Returns the row and the token itself: the only moment it exists in
    the clear. The creation is audited (who made it, for whom; never the token)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Name the token after where it is used.")})
    if len(name) > TOKEN_NAME_MAX:
        raise ValidationError({"name": _("At most %(n)d characters.") % {"n": TOKEN_NAME_MAX}})
    days = settings.API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValidationError(
            {"days": _("A token lasts from 1 to %(n)d days.") % {"n": settings.API_TOKEN_MAX_DAYS}}
        )
    with transaction.atomic():
        token, secret = ApiToken.objects.create(
            user, expiry=dt.timedelta(days=days), name=name, created_by=by or user
        )
        audit_record(
            actor=by or user,
            action="token.create",
            obj=user,
            school_id=None,
            detail={"token": str(token.public_id), "name": name, "days": days},
        )
    return token, secret


def token_revoke(*, token: ApiToken, by: User) -> None:
    """Delete one token: the next request that presents it is refused. Audited."""
    with transaction.atomic():
        audit_record(
            actor=by,
            action="token.revoke",
            obj=token.user,
            school_id=None,
            detail={"token": str(token.public_id), "name": token.name},
        )
        token.delete()


def tokens_of(user: User):
    """`user`'s tokens that have not expired, newest first."""
    now = timezone.now()
    return ApiToken.objects.filter(user=user).exclude(expiry__lt=now)


def credentials_end(*, user: User) -> int:
    """End every API token and every session of `user`: tokens are deleted; sessions end at
    their next request, since each is checked against a hash that includes the account's
    session epoch, raised here. Returns how many tokens ended."""
    count, _rows = ApiToken.objects.filter(user=user).delete()
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])
    return count
