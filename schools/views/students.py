"""The school admin's students page (add one or many by code, mark one as left), and the
student page of counsellors and school admins with the "find a student" box."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from .. import selectors, services, tenancy
from ..forms import StudentAddForm, StudentBulkForm, StudentSpanForm, StudentYearForm
from ..models import Student
from ..signs import SIGNS
from ..tenancy import ADMIN_ROLES, current_school, with_school
from .common import school_choices

# --- school admin: students -----------------------------------------------------------------


@login_required
def students(request):
    school = current_school(request, ADMIN_ROLES)
    qs = tenancy.scope(Student.objects.filter(school=school), request.user, roles=ADMIN_ROLES)
    show = request.GET.get("show", "active")
    if show == "active":
        qs = qs.filter(is_active=True)
    elif show == "inactive":
        qs = qs.filter(is_active=False)
    year = request.GET.get("year_group", "")
    if year.isdigit():
        qs = qs.filter(year_group=int(year))
    add_form = StudentAddForm(prefix="one")
    bulk_form = StudentBulkForm(prefix="bulk")
    if request.method == "POST":
        if "one-code" in request.POST:
            add_form = StudentAddForm(request.POST, prefix="one")
            if add_form.is_valid():
                try:
                    student = services.student_create(school=school, **add_form.cleaned_data)
                except ValidationError as exc:
                    _form_errors(add_form, exc)
                else:
                    messages.success(request, _("Added %(code)s.") % {"code": student.code})
                    return redirect(with_school(reverse("students"), school, request))
        else:
            bulk_form = StudentBulkForm(request.POST, prefix="bulk")
            if bulk_form.is_valid():
                try:
                    created = services.students_create_bulk(school=school, **bulk_form.cleaned_data)
                except ValidationError as exc:
                    bulk_form.add_error(None, exc)
                else:
                    messages.success(
                        request, _("Added %(count)s students.") % {"count": len(created)}
                    )
                    return redirect(with_school(reverse("students"), school, request))
    page = Paginator(qs.order_by("code"), 100).get_page(request.GET.get("page"))
    year_groups = sorted(
        {y for y in Student.objects.filter(school=school).values_list("year_group", flat=True) if y}
    )
    return render(
        request,
        "schools/students.html",
        {
            "school": school,
            "page": page,
            "add_form": add_form,
            "bulk_form": bulk_form,
            "show": show,
            "year": year,
            "year_groups": year_groups,
            "all_years": range(1, 15),
            "schools": school_choices(request, ADMIN_ROLES),
        },
    )


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
@require_POST
def student_deactivate(request, pk: int):
    student = get_object_or_404(
        tenancy.scope(Student.objects.select_related("school"), request.user, roles=ADMIN_ROLES),
        pk=pk,
    )
    services.student_deactivate(student=student, by=request.user)
    messages.success(
        request, _("%(code)s is marked as no longer at the school.") % {"code": student.code}
    )
    return redirect(with_school(reverse("students"), student.school, request))


def _admin_student(request, pk: int) -> Student:
    return get_object_or_404(
        tenancy.scope(Student.objects.select_related("school"), request.user, roles=ADMIN_ROLES),
        pk=pk,
    )


@login_required
@require_POST
def student_reactivate(request, pk: int):
    student = _admin_student(request, pk)
    services.student_reactivate(student=student)
    messages.success(request, _("%(code)s is back at the school.") % {"code": student.code})
    return redirect(with_school(reverse("students"), student.school, request))


@login_required
@require_POST
def student_year_group(request, pk: int):
    student = _admin_student(request, pk)
    form = StudentYearForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a year group from 1 to 14."))
    else:
        services.student_set_year_group(student=student, year_group=form.cleaned_data["year_group"])
        if student.year_group:
            message = _("%(code)s is now in year group %(year)s.") % {
                "code": student.code,
                "year": student.year_group,
            }
        else:
            message = _("%(code)s has no year group now.") % {"code": student.code}
        messages.success(request, message)
    return redirect(with_school(reverse("students"), student.school, request))


@login_required
@require_POST
def students_move_up(request):
    school = current_school(request, ADMIN_ROLES)
    moved = services.students_move_up_a_year(school=school, by=request.user)
    messages.success(
        request,
        ngettext(
            "%(n)d student moved up a year group.", "%(n)d students moved up a year group.", moved
        )
        % {"n": moved},
    )
    return redirect(with_school(reverse("students"), school, request))


def _casework_students(request):
    return tenancy.scope(
        Student.objects.select_related("school"), request.user, roles=tenancy.CASEWORK_ROLES
    )


@login_required
def student_detail(request, pk: int):
    """A student's attendance per school week, the marks behind it, and the observations, for
    a span the reader chooses (older spans too, such as an imported school year)."""
    student = get_object_or_404(_casework_students(request), pk=pk)
    school = student.school
    until, weeks = school.today(), selectors.DEFAULT_WEEKS
    form = StudentSpanForm(request.GET or None)
    if form.is_bound and form.is_valid():
        until = form.cleaned_data["until"] or until
        weeks = form.cleaned_data["weeks"] or weeks
    if not form.is_bound:
        form = StudentSpanForm(initial={"until": until, "weeks": weeks})
    attendance = selectors.student_attendance_weeks(student=student, until=until, weeks=weeks)
    observations = [
        {"obs": obs, "signs": [SIGNS[s.sign] for s in obs.signs.all() if s.sign in SIGNS]}
        for obs in selectors.student_observations(
            student=student, start=attendance.start, end=attendance.end
        )
    ]
    # Reading a student's record is in the audit trail, like reading a case.
    services.student_record_read(student=student, by=request.user, until=until, weeks=weeks)
    return render(
        request,
        "schools/student_detail.html",
        {
            "student": student,
            "school": school,
            "form": form,
            "until": until,
            "weeks": weeks,
            "attendance": attendance,
            "totals": attendance.totals,
            "observations": observations,
        },
    )


@login_required
def student_find(request):
    """The "Find a student by code" box: straight to the page of the one student whose code matches
    (exactly, or else as a part), otherwise a list of the matches among the user's schools."""
    if not tenancy.school_ids(request.user, tenancy.CASEWORK_ROLES):
        raise Http404(_("No such page."))
    code = request.GET.get("code", "").strip().upper()[:17]
    matches = []
    if code:
        students = _casework_students(request)
        matches = list(students.filter(code=code).order_by("school__code")) or list(
            students.filter(code__contains=code).order_by("code", "school__code")[:50]
        )
        if len(matches) == 1:
            return redirect("student-detail", pk=matches[0].pk)
    return render(
        request,
        "schools/student_find.html",
        {"code": code, "matches": matches, "many_schools": _many_casework_schools(request)},
    )


def _many_casework_schools(request) -> bool:
    return len(tenancy.school_ids(request.user, tenancy.CASEWORK_ROLES)) > 1
