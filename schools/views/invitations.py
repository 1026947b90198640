"""Following an invitation link: join the school.

- Signed in as the invited address: accept (or decline) with one button.
- Signed in as another account: told to sign in as the invited one; nothing joins.
- Not signed in, and the address has an account: sign in first (the link comes back here).
- Not signed in, and no account has the address: choose a password, which makes the account.

The token in the link is the only secret; the page names the school and the role, never who
else works there.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext

from core import second_factor

from .. import services


def invitation(request, token: str):
    found = services.invitation_find(token)
    if found is None:
        return render(request, "registration/invitation.html", {"invalid": True}, status=404)
    context = {"invitation": found, "school": found.school, "role": found.get_role_display()}
    user = request.user
    if user.is_authenticated:
        if user.email.lower() != found.email:
            context["other_account"] = True
            return render(request, "registration/invitation.html", context, status=403)
        if request.method == "POST":
            if request.POST.get("answer") == "decline":
                services.invitation_withdraw(invitation=found, by=user)
                messages.info(
                    request,
                    gettext("You declined to join %(school)s.") % {"school": found.school.name},
                )
                return redirect("home")
            try:
                membership = services.invitation_accept(invitation=found, user=user)
            except ValidationError as exc:
                context["error"] = " ".join(exc.messages)
            else:
                return _joined(request, membership)
        return render(request, "registration/invitation.html", context)
    existing = get_user_model().objects.filter(email__iexact=found.email).exists()
    if existing:
        login_url = f"{reverse('login')}?{urlencode({'next': request.path})}"
        context["login_url"] = login_url
        return render(request, "registration/invitation.html", context)
    new_user = get_user_model()(email=found.email)
    form = SetPasswordForm(new_user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept_new(
                invitation=found, password=form.cleaned_data["new_password1"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return _joined(request, user.memberships.get(school=found.school))
    context["form"] = form
    return render(request, "registration/invitation.html", context)


def _joined(request, membership):
    # The new role may call for a second factor: decide again for this session.
    second_factor.mark_session(request, request.user)
    messages.success(
        request,
        f"You joined {membership.school.name} as {membership.get_role_display().lower()}.",
    )
    return redirect(f"{reverse('home')}?{urlencode({'school': membership.school.code})}")
