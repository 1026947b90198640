"""The school admin's staff page: add a colleague, change a role, remove one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from .. import services, tenancy
from ..forms import RoleForm, StaffAddForm
from ..models import Membership, Role
from ..tenancy import ADMIN_ROLES, current_school, with_school
from .common import school_choices

# --- school admin: staff and roles ----------------------------------------------------------


@login_required
def staff(request):
    school = current_school(request, ADMIN_ROLES)
    memberships = tenancy.scope(
        Membership.objects.filter(school=school), request.user, roles=ADMIN_ROLES
    ).select_related("user")
    form = StaffAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership, created = services.membership_add(
                school=school, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if created:
                _send_welcome(request, membership.user)
            messages.success(
                request,
                f"{membership.user.email} is now {membership.get_role_display().lower()}"
                + (" (an e-mail to set a password was sent)." if created else "."),
            )
            return redirect(with_school(reverse("staff"), school, request))
    return render(
        request,
        "schools/staff.html",
        {
            "school": school,
            "memberships": memberships,
            "form": form,
            "roles": Role.choices,
            "schools": school_choices(request, ADMIN_ROLES),
        },
    )


def _send_welcome(request, user) -> None:
    """E-mail a new colleague a one-time link to choose their password (the account has no
    usable password until then, so Django's reset form would not write to it)."""
    from django.contrib.auth.tokens import default_token_generator
    from django.contrib.sites.shortcuts import get_current_site
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    site = get_current_site(request)
    PasswordResetForm().send_mail(
        "registration/welcome_subject.txt",
        "registration/welcome_email.txt",
        {
            "email": user.email,
            "domain": site.domain,
            "site_name": site.name,
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "user": user,
            "token": default_token_generator.make_token(user),
            "protocol": "https" if request.is_secure() else "http",
        },
        None,
        user.email,
    )


def _admin_membership(request, pk: int) -> Membership:
    return get_object_or_404(
        tenancy.scope(
            Membership.objects.select_related("user", "school"), request.user, roles=ADMIN_ROLES
        ),
        pk=pk,
    )


@login_required
@require_POST
def staff_role(request, pk: int):
    membership = _admin_membership(request, pk)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            services.membership_change_role(
                membership=membership, role=form.cleaned_data["role"], by=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, f"{membership.user.email} is now {membership.get_role_display().lower()}."
            )
    else:
        messages.error(request, "Choose a role.")
    return redirect(with_school(reverse("staff"), membership.school, request))


@login_required
@require_POST
def staff_remove(request, pk: int):
    membership = _admin_membership(request, pk)
    try:
        services.membership_remove(membership=membership, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{membership.user.email} no longer has a role here.")
    return redirect(with_school(reverse("staff"), membership.school, request))
