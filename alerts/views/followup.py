"""The follow-up of a case from its page: its owner, its review date, reopening it with a
reason, and a concern raised by hand for what no rule can see.

Thin: the case comes from alerts.selectors (another school's case is a 404), the forms
validate and alerts.services writes, with a timeline entry and an audit entry each.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from schools import tenancy
from schools.models import Student

from .. import selectors, services
from ..forms import ConcernForm, OwnerForm, ReopenForm, ReviewForm
from ..models import CaseStatus
from .cases import _after, _case_or_404, _form_error

CASEWORK = tenancy.CASEWORK_ROLES


@login_required
@require_POST
def case_owner(request, pk: int):
    case = _case_or_404(request, pk)
    counsellors = services.school_counsellors(school_id=case.student.school_id)
    form = OwnerForm(request.POST, prefix="owner", counsellors=counsellors)
    if not form.is_valid():
        return _after(request, case, error=_form_error(form))
    try:
        services.case_set_owner(case=case, owner=form.cleaned_data["owner"], by=request.user)
    except ValidationError as exc:
        return _after(request, case, error=exc)
    return _after(request, case, gettext("%(owner)s now owns the case.") % {"owner": case.owner})


@login_required
@require_POST
def case_review(request, pk: int):
    case = _case_or_404(request, pk)
    form = ReviewForm(request.POST, prefix="review")
    if not form.is_valid():
        return _after(request, case, error=_form_error(form))
    day = form.cleaned_data["review_on"]
    try:
        services.case_set_review(case=case, review_on=day, by=request.user)
    except ValidationError as exc:
        return _after(request, case, error=exc)
    if day is None:
        return _after(request, case, gettext("Review date cleared."))
    return _after(
        request,
        case,
        gettext("Review on %(day)s: the owner is reminded that day.")
        % {"day": date_format(day, gettext("D j M Y"))},
    )


@login_required
@require_POST
def case_reopen(request, pk: int):
    case = _case_or_404(request, pk)
    form = ReopenForm(request.POST, prefix="reopen")
    if not form.is_valid():
        return _after(request, case, error=_form_error(form))
    try:
        services.case_reopen_by_hand(case=case, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        return _after(request, case, error=exc)
    return _after(request, case, gettext("Reopened: the case is in progress again."))


@login_required
def concern_new(request):
    """Open a case by hand for a student of the user's school(s), for what no rule sees."""
    if not tenancy.school_ids(request.user, CASEWORK):
        raise Http404(gettext("No such page."))
    initial = {}
    picked = request.GET.get("student", "")
    if picked.isdigit():
        student = (
            tenancy.scope(Student.objects.all(), request.user, roles=CASEWORK)
            .filter(pk=int(picked))
            .first()
        )
        if student is not None:
            initial["code"] = student.code
    form = ConcernForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        students = tenancy.scope(
            Student.objects.select_related("school"), request.user, roles=CASEWORK
        ).filter(code=form.cleaned_data["code"], is_active=True)
        student = students.first() if len(students) == 1 else None
        if student is None:
            form.add_error(
                "code",
                gettext("No current student of your school has this code.")
                if not students
                else gettext("Several of your schools have a student with this code."),
            )
        else:
            try:
                case = services.case_open_by_hand(
                    student=student,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    severity=form.cleaned_data["severity"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
                open_case = (
                    selectors.cases_visible_to(request.user)
                    .filter(student=student)
                    .exclude(status=CaseStatus.RESOLVED)
                )
                return render(
                    request,
                    "alerts/concern_new.html",
                    {"form": form, "open_case": open_case.first()},
                )
            messages.success(request, gettext("Case opened for %(code)s.") % {"code": student.code})
            return redirect("case-detail", pk=case.pk)
    return render(request, "alerts/concern_new.html", {"form": form})
