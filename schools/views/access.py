"""The school admin's pages of who gets in: the integrations and their tokens (each shown
once, revocable one by one), and the sign-in safeguards (the second-factor requirement,
locked-out staff). Thin: the rules are in schools.services.access and core.credentials."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core.credentials import token_create, token_revoke, tokens_of
from core.models import ApiToken

from .. import selectors, tenancy
from ..models import Role, School
from ..services import access as services
from ..tenancy import ADMIN_ROLES


class IntegrationForm(forms.Form):
    name = forms.CharField(label=_("What it is"), max_length=80)


class IntegrationTokenForm(forms.Form):
    account = forms.IntegerField(widget=forms.HiddenInput)
    name = forms.CharField(label=_("Token name"), max_length=80)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"] = forms.IntegerField(
            label=_("Valid for (days)"),
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
    accounts = list(selectors.integrations_of(school))
    new_account = IntegrationForm(request.POST if request.POST.get("do") == "account" else None)
    new_token = IntegrationTokenForm(request.POST if request.POST.get("do") == "token" else None)
    if request.method == "POST":
        try:
            if new_account.is_valid():
                user = services.integration_create(
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
                    raise Http404(gettext("No such integration."))
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
    if token.user not in selectors.integrations_of(school):
        raise Http404(gettext("No such token."))
    token_revoke(token=token, by=request.user)
    messages.success(
        request,
        gettext("The token “%(name)s” of %(account)s is revoked.")
        % {"name": token.name, "account": token.user},
    )
    return redirect(tenancy.with_school(reverse("integrations"), school, request))


@login_required
def security(request):
    """Sign-in safeguards of the school: whether counsellors and admins need a second factor,
    and which of the staff are locked out after failed sign-ins (with an unlock button)."""
    school = _school(request)
    if request.method == "POST":
        try:
            if request.POST.get("do") == "second-factor":
                required = request.POST.get("required") == "on"
                ended = services.school_second_factor_set(
                    school=school, required=required, by=request.user
                )
                messages.success(
                    request,
                    ngettext(
                        "A second factor is now required; %(n)d account signed out to set "
                        "theirs up.",
                        "A second factor is now required; %(n)d accounts signed out to set "
                        "theirs up.",
                        ended,
                    )
                    % {"n": ended}
                    if required
                    else gettext("A second factor is no longer required."),
                )
            elif request.POST.get("do") == "unlock":
                count = services.sign_in_unlock(
                    school=school, email=request.POST.get("email", ""), by=request.user
                )
                messages.success(request, gettext("Unlocked (%(n)d).") % {"n": count})
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(tenancy.with_school(reverse("school-security"), school, request))
    return render(
        request,
        "schools/security.html",
        {
            "school": school,
            "schools": list(tenancy.schools_for(request.user, roles=ADMIN_ROLES)),
            "locked": selectors.locked_sign_ins(school),
        },
    )
