"""A person's own account pages: the second-factor code after the password, enrolling an
authenticator app, recovery codes, and their own API tokens.

Thin: the rules are in core.second_factor and core.credentials.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from . import credentials, second_factor


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
        help_text=_("The 6 digits your authenticator app shows, or one of your recovery codes."),
    )


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=credentials.TOKEN_NAME_MAX, help_text=_("Where it is used.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read when the form is made, so the limits follow the settings.
        self.fields["days"] = forms.IntegerField(
            label=_("Valid for (days)"),
            min_value=1,
            max_value=settings.API_TOKEN_MAX_DAYS,
            initial=settings.API_TOKEN_DAYS,
        )


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@login_required
def login_code(request):
    """The second step of signing in, for an account with an authenticator."""
    if request.user.is_verified() or not second_factor.enrolled(request.user):
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = second_factor.code_check(user=request.user, code=form.cleaned_data["code"])
        except second_factor.CodeRefused as exc:
            form.add_error("code", str(exc))
        else:
            otp_login(request, device)
            if device.name == second_factor.RECOVERY_NAME:
                left = device.token_set.count()
                messages.warning(
                    request,
                    ngettext(
                        "You used a recovery code; %(n)d left. Make new ones on your "
                        "second-factor page if you are running out.",
                        "You used a recovery code; %(n)d left. Make new ones on your "
                        "second-factor page if you are running out.",
                        left,
                    )
                    % {"n": left},
                )
            return redirect(_next(request))
    return render(request, "registration/login_code.html", {"form": form, "next": _next(request)})


@login_required
def second_factor_page(request):
    """Enrol an authenticator app (scan or type the key, then enter a code), or, once
    enrolled, make new recovery codes or remove it (where no school requires it)."""
    user = request.user
    required = second_factor.required_for(user)
    if second_factor.enrolled(user):
        if not user.is_verified():
            return redirect(f"{reverse('login-code')}?next={request.path}")
        return render(
            request,
            "registration/second_factor.html",
            {"enrolled": True, "required": required},
        )
    device = second_factor.totp_start(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = second_factor.totp_confirm(
            request=request, device=device, code=form.cleaned_data["code"]
        )
        if codes is None:
            form.add_error(
                "code", gettext("That code is not right. Enter the code your app shows now.")
            )
        else:
            return render(
                request,
                "registration/recovery_codes.html",
                {"codes": codes, "next": _next(request)},
            )
    return render(
        request,
        "registration/second_factor.html",
        {
            "enrolled": False,
            "required": required,
            "form": form,
            "qr": second_factor.qr_svg_data_uri(device),
            "secret": second_factor.secret_of(device),
            "next": _next(request),
        },
    )


@login_required
@require_POST
def recovery_codes_new(request):
    if not (second_factor.enrolled(request.user) and request.user.is_verified()):
        return redirect("second-factor")
    codes = second_factor.recovery_codes_renew(user=request.user)
    return render(request, "registration/recovery_codes.html", {"codes": codes, "next": "/"})


@login_required
@require_POST
def second_factor_remove(request):
    user = request.user
    if second_factor.required_for(user):
        messages.error(
            request, gettext("Your school requires a second factor: it cannot be removed.")
        )
    elif second_factor.enrolled(user) and user.is_verified():
        second_factor.second_factor_remove(user=user, by=user)
        request.session[second_factor.SESSION_KEY] = "not-needed"
        messages.success(
            request, gettext("The second factor is removed; sign-ins ask for a password only.")
        )
    return redirect("second-factor")


@login_required
def tokens(request):
    """My API tokens: each with its name and expiry, revocable one by one; a new one is
    shown once, on the page that made it."""
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = credentials.token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                days=form.cleaned_data["days"],
                by=request.user,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return render(
                request, "registration/token_created.html", {"token": token, "secret": secret}
            )
    return render(
        request,
        "registration/tokens.html",
        {"tokens": credentials.tokens_of(request.user), "form": form},
    )


@login_required
@require_POST
def token_revoke(request, public_id):
    token = get_object_or_404(credentials.ApiToken, public_id=public_id, user=request.user)
    credentials.token_revoke(token=token, by=request.user)
    messages.success(request, gettext("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("tokens")
