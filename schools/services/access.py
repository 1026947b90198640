"""Who gets in, as a school's admins manage it: the school's integrations (its information
system's API accounts), whether counsellors and admins need a second factor, and unlocking
staff locked out after failed sign-ins.

An integration account belongs to one school and to nothing else: it has no password (it
signs in only with a token), no person behind it, and no role anywhere else. That is what lets
a school admin make tokens for it: a token for an account that also had a role elsewhere
would open another school's data.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.models import User

from .. import tenancy
from ..models import Membership, Role, School


def integration_create(*, school: School, name: str, by: User) -> User:
    """A new integration account of `school`, named `name` (what it is, e.g. "MIS nightly
    sync"). Its address is made up and undeliverable; it has no password."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Name the integration (for example: MIS nightly sync).")})
    with transaction.atomic():
        user = User.objects.create_user(
            email=f"integration-{uuid.uuid4().hex[:12]}@{school.code}.invalid",
            password=None,
            display_name=name[:80],
        )
        membership = Membership.objects.create(user=user, school=school, role=Role.INTEGRATION)
        audit_record(
            actor=by,
            action="integration.create",
            obj=membership,
            school_id=school.pk,
            detail={"user": user.pk},
        )
    return user


def school_second_factor_set(*, school: School, required: bool, by: User) -> int:
    """Require (or stop requiring) a second factor of `school`'s counsellors and school admins.

    Turning it on takes effect at once: every session and token of those of them who have not
    enrolled ends (they enrol at their next sign-in), since those were opened with a password
    alone. The admin turning it on must have enrolled first, so they are not signed out by
    their own change. Returns how many accounts were signed out."""
    from core import second_factor
    from core.credentials import credentials_end

    if required and not second_factor.enrolled(by):
        raise ValidationError(
            _("Set up your own second factor first (Account, Second factor), then turn this on.")
        )
    ended = 0
    with transaction.atomic():
        School.objects.filter(pk=school.pk).update(second_factor_required=required)
        school.second_factor_required = required
        if required:
            casework = User.objects.filter(
                memberships__school=school, memberships__role__in=tenancy.CASEWORK_ROLES
            ).exclude(pk__in=_enrolled_ids())
            for user in casework:
                credentials_end(user=user)
                ended += 1
        audit_record(
            actor=by,
            action="school.second_factor",
            obj=school,
            school_id=school.pk,
            detail={"required": required, "signed_out": ended},
        )
    return ended


def _enrolled_ids() -> QuerySet[Any]:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    # django-otp has no types: the devices' queryset is declared here.
    enrolled: QuerySet[Any] = TOTPDevice.objects.filter(confirmed=True).values("user_id")
    return enrolled


def sign_in_unlock(*, school: School, email: str, by: User) -> int:
    """Unlock every locked-out sign-in of `email`, a member of `school`'s staff (any address).
    Returns how many were unlocked; an address not of the school's staff unlocks nothing."""
    from axes.utils import reset

    email = email.strip().lower()
    member = User.objects.filter(memberships__school=school, email=email).first()
    if member is None:
        return 0
    with transaction.atomic():
        count: int = reset(username=email)  # django-axes, untyped
        audit_record(
            actor=by,
            action="sign_in.unlock",
            obj=member,
            school_id=school.pk,
            detail={"unlocked": count},
        )
    return count
