"""The landing page: each person straight to their daily work."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from schools import tenancy
from schools.models import Role


@login_required
def home(request):
    """Send each person straight to their daily work: a teacher to the observation form, a
    counsellor to the cases, an admin to the school overview."""
    roles = set(tenancy.school_roles(request.user).values())
    if Role.COUNSELLOR in roles:
        return redirect("cases")
    if Role.SCHOOL_ADMIN in roles:
        return redirect("overview")
    if Role.TEACHER in roles:
        return redirect("observe")
    return render(request, "home.html")
