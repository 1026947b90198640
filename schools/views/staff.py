"""The school admin's staff page: invite a colleague, change a role, remove one."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import services, tenancy
from ..forms import RoleForm, StaffAddForm
from ..models import Invitation, Membership, Role
from ..tenancy import ADMIN_ROLES, current_school, with_school
from .common import school_choices

# --- school admin: staff and roles ----------------------------------------------------------


@login_required
def staff(request):
    """The school's staff and roles, its open invitations, and inviting a colleague. The
    answer to an invitation is the same whatever the address."""
    school = current_school(request, ADMIN_ROLES)
    memberships = tenancy.scope(
        Membership.objects.filter(school=school), request.user, roles=ADMIN_ROLES
    ).select_related("user")
    form = StaffAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(
                school=school, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _(
                    "An invitation to join %(school)s as %(role)s was sent to %(email)s. It is "
                    "valid for %(days)s days; they join when they accept it."
                )
                % {
                    "school": school.name,
                    "role": invitation.get_role_display().lower(),
                    "email": invitation.email,
                    "days": settings.INVITATION_DAYS,
                },
            )
            return redirect(with_school(reverse("staff"), school, request))
    return render(
        request,
        "schools/staff.html",
        {
            "school": school,
            "memberships": memberships,
            "invitations": services.invitations_open(school),
            "form": form,
            "roles": Role.choices,
            "schools": school_choices(request, ADMIN_ROLES),
        },
    )


@login_required
@require_POST
def invitation_withdraw(request, pk: int):
    invitation = get_object_or_404(
        tenancy.scope(Invitation.objects.select_related("school"), request.user, roles=ADMIN_ROLES),
        pk=pk,
    )
    services.invitation_withdraw(invitation=invitation, by=request.user)
    messages.success(
        request, _("The invitation to %(email)s is withdrawn.") % {"email": invitation.email}
    )
    return redirect(with_school(reverse("staff"), invitation.school, request))


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
                request,
                _("%(email)s is now %(role)s.")
                % {"email": membership.user.email, "role": membership.get_role_display().lower()},
            )
    else:
        messages.error(request, _("Choose a role."))
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
        messages.success(
            request, _("%(email)s no longer has a role here.") % {"email": membership.user.email}
        )
    return redirect(with_school(reverse("staff"), membership.school, request))
