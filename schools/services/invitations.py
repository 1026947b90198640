"""Invitations: how a colleague joins a school.

A school admin invites an address to a role. The answer, the rows written and the e-mail are
the same whatever the address: nothing tells the admin whether an account with it exists,
here or at another school. The person joins when they follow the link: an address with no
account chooses a password there; an existing account joins only when its owner, signed in
as that account, accepts. An invitation is used once and expires after INVITATION_DAYS.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.i18n import supported
from core.models import User

from ..models import Invitation, Membership, Role, School

INVITABLE_ROLES = frozenset({Role.TEACHER, Role.COUNSELLOR, Role.SCHOOL_ADMIN})


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(token: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{reverse('invitation', args=[token])}"


def invitation_create(*, school: School, email: str, role: str, by: User) -> Invitation:
    """Invite `email` to `school` as `role`, and e-mail the link once the transaction commits.
    Inviting an address that already has an open invitation replaces it (the old link stops
    working). Refused only for what the admin can already see: a member of their own staff,
    or a role that is not a person's."""
    from core.models import User

    email = User.objects.normalize_email(email or "").strip().lower()
    if role not in INVITABLE_ROLES:
        raise ValidationError(_("Choose a role: teacher, counsellor or school admin."))
    if not email:
        raise ValidationError(_("Enter an e-mail address."))
    # The admin sees their own staff list, so this tells them nothing new.
    if Membership.objects.filter(school=school, user__email__iexact=email).exists():
        raise ValidationError(_("%(email)s already has a role here."), params={"email": email})
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        Invitation.objects.filter(
            school=school, email=email, accepted_at__isnull=True, withdrawn_at__isnull=True
        ).update(withdrawn_at=now)
        invitation = Invitation.objects.create(
            school=school,
            email=email,
            role=role,
            digest=_digest(token),
            invited_by=by,
            created_at=now,
            expires_at=now + dt.timedelta(days=settings.INVITATION_DAYS),
        )
        audit_record(
            actor=by,
            action="invitation.create",
            obj=invitation,
            school_id=school.pk,
            detail={"role": role},
        )
        transaction.on_commit(
            lambda: _send(invitation, token), robust=True
        )  # a mail server that is down does not undo the invitation; invite again later
    return invitation


def _send(invitation: Invitation, token: str) -> None:
    # The invitee has no language of their own here yet: the e-mail is in the school's.
    language = supported(invitation.school.default_language) or settings.LANGUAGE_CODE
    with translation.override(language):
        _send_mail(invitation, token)


def _send_mail(invitation: Invitation, token: str) -> None:
    context = {
        "school": invitation.school,
        "role": invitation.get_role_display().lower(),
        "link": invitation_link(token),
        "expires_at": invitation.expires_at,
    }
    send_mail(
        render_to_string("registration/invitation_subject.txt", context).strip(),
        render_to_string("registration/invitation_email.txt", context),
        None,
        [invitation.email],
    )


def invitation_find(token: str) -> Invitation | None:
    """The open invitation a link's token names, or None (unknown, used, withdrawn, expired)."""
    invitation = (
        Invitation.objects.select_related("school").filter(digest=_digest(token or "")).first()
    )
    return invitation if invitation is not None and invitation.is_open else None


def _join(invitation: Invitation, user: User) -> Membership:
    try:
        with transaction.atomic():
            claimed = Invitation.objects.filter(
                pk=invitation.pk, accepted_at__isnull=True, withdrawn_at__isnull=True
            ).update(accepted_at=timezone.now(), accepted_by=user)
            if claimed != 1:
                raise ValidationError(_("This invitation has already been used."))
            membership = Membership.objects.create(
                user=user, school=invitation.school, role=invitation.role
            )
            audit_record(
                actor=user,
                action="invitation.accept",
                obj=membership,
                school_id=invitation.school_id,
                detail={"role": invitation.role, "invitation": invitation.pk},
            )
    except IntegrityError:
        raise ValidationError(_("You already have a role at this school.")) from None
    return membership


def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """`user`, signed in, accepts: they join the school in the invited role. Only the account
    of the invited address may accept."""
    if not invitation.is_open:
        raise ValidationError(_("This invitation is no longer valid: ask your school admin."))
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(
            _("This invitation was sent to another address: sign in as that account to accept.")
        )
    return _join(invitation, user)


def invitation_accept_new(*, invitation: Invitation, password: str) -> User:
    """The invited address has no account: make it, with `password` (already validated),
    and join. Returns the new user."""
    if not invitation.is_open:
        raise ValidationError(_("This invitation is no longer valid: ask your school admin."))
    with transaction.atomic():
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise ValidationError(_("An account with this address exists: sign in to accept."))
        user = User.objects.create_user(email=invitation.email, password=password)
        _join(invitation, user)
    return user


def invitation_withdraw(*, invitation: Invitation, by: User) -> None:
    """The admin takes an open invitation back: its link stops working."""
    with transaction.atomic():
        Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
            withdrawn_at=timezone.now()
        )
        audit_record(
            actor=by,
            action="invitation.withdraw",
            obj=invitation,
            school_id=invitation.school_id,
        )


def invitations_open(school: School) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        school=school,
        accepted_at__isnull=True,
        withdrawn_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).order_by("-created_at")
