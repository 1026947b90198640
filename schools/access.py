"""Who gets in, as a school's admins manage it from the pages: the school's integrations
(its information system's API accounts) and their tokens; whether counsellors and admins need
a second factor; and unlocking staff locked out after failed sign-ins.

An integration account belongs to one school and to nothing else: it has no password (it
signs in only with a token), no person behind it, and no role anywhere else. That is what lets
a school admin make tokens for it: a token for an account that also had a role elsewhere
would open another school's data.
"""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.audit import audit_record
from core.credentials import token_create, token_revoke, tokens_of
from core.models import ApiToken, User

from . import tenancy
from .models import Membership, Role, School

ADMIN_ROLES = tenancy.ADMIN_ROLES


# --- selectors and services ---------------------------------------------------------------


def integrations_of(school: School) -> QuerySet[User]:
    """The integration accounts of `school`: an integration role there and no other role at
    any school."""
    elsewhere = Membership.objects.exclude(school=school, role=Role.INTEGRATION)
    return (
        User.objects.filter(memberships__school=school, memberships__role=Role.INTEGRATION)
        .exclude(pk__in=elsewhere.values("user_id"))
        .order_by("display_name", "email")
    )


def integration_create(*, school: School, name: str, by: User) -> User:
    """A new integration account of `school`, named `name` (what it is, e.g. "MIS nightly
    sync"). Its address is made up and undeliverable; it has no password."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Name the integration (for example: MIS nightly sync)."})
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


# --- the page -----------------------------------------------------------------------------


class IntegrationForm(forms.Form):
    name = forms.CharField(label="What it is", max_length=80)


class IntegrationTokenForm(forms.Form):
    account = forms.IntegerField(widget=forms.HiddenInput)
    name = forms.CharField(label="Token name", max_length=80)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"] = forms.IntegerField(
            label="Valid for (days)",
            min_value=1,
            max_value=settings.API_TOKEN_MAX_DAYS,
            initial=settings.API_TOKEN_DAYS,
        )


def _school(request) -> School:
    return tenancy.current_school(request, ADMIN_ROLES)


def _created(request, school, token, secret):
    back = tenancy.with_school(reverse("integrations"), school, request)
    return render(
        request,
        "registration/token_created.html",
        {"token": token, "secret": secret, "back": back, "school": school},
    )


@login_required
def integrations(request):
    """The school's integrations, their tokens (name, expiry, revoke), a new integration, a
    new token for one. A token is shown once, on the page after it is made."""
    school = _school(request)
    accounts = list(integrations_of(school))
    new_account = IntegrationForm(request.POST if request.POST.get("do") == "account" else None)
    new_token = IntegrationTokenForm(request.POST if request.POST.get("do") == "token" else None)
    if request.method == "POST":
        try:
            if new_account.is_valid():
                user = integration_create(
                    school=school, name=new_account.cleaned_data["name"], by=request.user
                )
                token, secret = token_create(
                    user=user, name=new_account.cleaned_data["name"], by=request.user
                )
                return _created(request, school, token, secret)
            if new_token.is_valid():
                account = next(
                    (a for a in accounts if a.pk == new_token.cleaned_data["account"]), None
                )
                if account is None:
                    raise Http404("No such integration.")
                token, secret = token_create(
                    user=account,
                    name=new_token.cleaned_data["name"],
                    days=new_token.cleaned_data["days"],
                    by=request.user,
                )
                return _created(request, school, token, secret)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    rows = [(account, list(tokens_of(account))) for account in accounts]
    return render(
        request,
        "schools/integrations.html",
        {
            "school": school,
            "schools": list(tenancy.schools_for(request.user, roles=ADMIN_ROLES)),
            "rows": rows,
            "new_account": new_account,
            "days_default": settings.API_TOKEN_DAYS,
            "days_max": settings.API_TOKEN_MAX_DAYS,
        },
    )


@login_required
@require_POST
def integration_token_revoke(request, public_id):
    """Revoke one token of an integration of a school the user administers (else 404)."""
    schools = tenancy.school_ids(request.user, ADMIN_ROLES)
    token = get_object_or_404(
        ApiToken.objects.select_related("user")
        .filter(
            Q(user__memberships__school__in=schools) & Q(user__memberships__role=Role.INTEGRATION)
        )
        .distinct(),
        public_id=public_id,
    )
    school = School.objects.get(memberships__user=token.user)
    if token.user not in integrations_of(school):
        raise Http404("No such token.")
    token_revoke(token=token, by=request.user)
    messages.success(request, f"The token “{token.name}” of {token.user} is revoked.")
    return redirect(tenancy.with_school(reverse("integrations"), school, request))


# --- the second-factor requirement and locked-out sign-ins ---------------------------------


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
            "Set up your own second factor first (Account, Second factor), then turn this on."
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


def _enrolled_ids():
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(confirmed=True).values("user_id")


def locked_sign_ins(school: School) -> QuerySet:
    """Locked-out sign-ins (account and address) naming an account of `school`'s staff."""
    from axes.models import AccessAttempt

    emails = User.objects.filter(memberships__school=school).values("email")
    return AccessAttempt.objects.filter(
        username__in=emails, failures_since_start__gte=settings.AXES_FAILURE_LIMIT
    ).order_by("-attempt_time")


def sign_in_unlock(*, school: School, email: str, by: User) -> int:
    """Unlock every locked-out sign-in of `email`, a member of `school`'s staff (any address).
    Returns how many were unlocked; an address not of the school's staff unlocks nothing."""
    from axes.utils import reset

    email = email.strip().lower()
    member = User.objects.filter(memberships__school=school, email=email).first()
    if member is None:
        return 0
    with transaction.atomic():
        count = reset(username=email)
        audit_record(
            actor=by,
            action="sign_in.unlock",
            obj=member,
            school_id=school.pk,
            detail={"unlocked": count},
        )
    return count


@login_required
def security(request):
    """Sign-in safeguards of the school: whether counsellors and admins need a second factor,
    and which of the staff are locked out after failed sign-ins (with an unlock button)."""
    school = _school(request)
    if request.method == "POST":
        try:
            if request.POST.get("do") == "second-factor":
                required = request.POST.get("required") == "on"
                ended = school_second_factor_set(school=school, required=required, by=request.user)
                messages.success(
                    request,
                    (
                        f"A second factor is now required; {ended} account(s) signed out to "
                        "set theirs up."
                    )
                    if required
                    else "A second factor is no longer required.",
                )
            elif request.POST.get("do") == "unlock":
                count = sign_in_unlock(
                    school=school, email=request.POST.get("email", ""), by=request.user
                )
                messages.success(request, f"Unlocked ({count}).")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(tenancy.with_school(reverse("school-security"), school, request))
    return render(
        request,
        "schools/security.html",
        {
            "school": school,
            "schools": list(tenancy.schools_for(request.user, roles=ADMIN_ROLES)),
            "locked": locked_sign_ins(school),
        },
    )
