"""Writes to staff memberships: add a colleague (operations and the demo; school admins
invite, see invitations.py), change a role, remove one; a school always keeps at least one
admin."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.models import User

from ..models import Membership, Role, School


def _admins_left(school: School, without: Membership) -> int:
    return (
        Membership.objects.filter(school=school, role=Role.SCHOOL_ADMIN)
        .exclude(pk=without.pk)
        .count()
    )


def membership_add(*, school: School, email: str, role: str, by: User) -> tuple[Membership, bool]:
    """Give the person with `email` a role at `school`; return the membership and whether a
    new user account was made.

    A new account has no usable password: the person sets one through the password-reset
    e-mail. Someone who already has a role at the school is refused (one role per school).
    """
    email = User.objects.normalize_email(email).lower().strip()
    if role not in Role.values:
        raise ValidationError(_("Choose a role."))
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        created = user is None
        if user is None:
            user = User.objects.create_user(email=email, password=None)
        if Membership.objects.filter(user=user, school=school).exists():
            raise ValidationError(_("%(email)s already has a role here."), params={"email": email})
        membership = Membership.objects.create(user=user, school=school, role=role)
        audit_record(
            actor=by,
            action="membership.add",
            obj=membership,
            school_id=school.pk,
            detail={"role": role},
        )
    return membership, created


def membership_change_role(*, membership: Membership, role: str, by: User) -> Membership:
    """Change a member's role at the school. The school always keeps at least one admin."""
    if role not in Role.values:
        raise ValidationError(_("Choose a role."))
    with transaction.atomic():
        # Lock the school's admin rows so two admins demoting each other cannot leave none.
        list(
            Membership.objects.select_for_update().filter(
                school=membership.school_id, role=Role.SCHOOL_ADMIN
            )
        )
        if (
            membership.role == Role.SCHOOL_ADMIN
            and role != Role.SCHOOL_ADMIN
            and not _admins_left(membership.school, membership)
        ):
            raise ValidationError(_("The school needs at least one school admin."))
        old = membership.role
        Membership.objects.filter(pk=membership.pk).update(role=role)
        membership.role = role
        audit_record(
            actor=by,
            action="membership.change_role",
            obj=membership,
            school_id=membership.school_id,
            detail={"from": old, "to": role},
        )
    return membership


def membership_remove(*, membership: Membership, by: User) -> None:
    """Remove a member's role at the school (the account stays for the audit trail).
    The school always keeps at least one admin. Every API token and session of the account
    ends: they were opened with access to this school (the person signs in again for any
    other school they work at)."""
    from core.credentials import credentials_end

    with transaction.atomic():
        list(
            Membership.objects.select_for_update().filter(
                school=membership.school_id, role=Role.SCHOOL_ADMIN
            )
        )
        if membership.role == Role.SCHOOL_ADMIN and not _admins_left(membership.school, membership):
            raise ValidationError(_("The school needs at least one school admin."))
        audit_record(
            actor=by,
            action="membership.remove",
            obj=membership,
            school_id=membership.school_id,
            detail={"role": membership.role, "user": membership.user_id},
        )
        membership.delete()
        credentials_end(user=membership.user)
