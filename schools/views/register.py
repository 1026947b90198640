"""The register page: a year group, a date and a session; only the changed marks are
written."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.i18n import short_date

from .. import selectors, services, tenancy
from ..calendar import is_school_day, last_school_days
from ..forms import MARKS_BY_CODE, REGISTER_MARKS, RegisterPickForm, mark_of
from ..models import AttendanceRecord
from ..services import AttendanceInput
from ..tenancy import current_school
from .common import school_choices

# --- the register ---------------------------------------------------------------------------


@login_required
def register(request):
    school = current_school(request, tenancy.STAFF_ROLES)
    students = selectors.staff_students(user=request.user, school=school)
    year_groups = sorted(
        {y for y in students.values_list("year_group", flat=True).distinct() if y is not None}
    )
    data = request.POST if request.method == "POST" else request.GET
    pick = RegisterPickForm(
        data if "date" in data else None,
        initial={
            "date": (last_school_days(school, school.today(), 1) or [school.today()])[0],
            "session": "AM",
        },
        school=school,
        year_groups=year_groups,
    )
    rows = []
    if pick.is_bound and pick.is_valid():
        year, day, session = (pick.cleaned_data[k] for k in ("year_group", "date", "session"))
        if not is_school_day(school, day):
            # No register on a weekend, a holiday or a closure: nobody can miss that session.
            messages.info(
                request,
                _("%(day)s is not a school day at %(school)s.")
                % {
                    "day": date_format(day, pgettext("message date", "D d M Y")),
                    "school": school.name,
                },
            )
            return _register_page(request, school, pick, [], not_school_day=True)
        group = list(students.filter(year_group=year).order_by("code"))
        current = {
            r.student_id: r
            for r in AttendanceRecord.objects.filter(student__in=group, date=day, session=session)
        }
        rows = [{"student": s, "mark": mark_of(current.get(s.pk))} for s in group]
        if request.method == "POST":
            marks, errors = _register_changes(rows, request.POST, day, session)
            if errors:
                messages.error(
                    request,
                    _("Unknown mark for %(students)s; nothing saved.")
                    % {"students": _(", ").join(errors)},
                )
                return _register_page(request, school, pick, rows)
            try:
                services.register_save(marks=marks, recorded_by=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return _register_page(request, school, pick, rows)
            messages.success(
                request,
                _(
                    "Register saved for Year %(year)s, %(day)s %(session)s: %(students)s "
                    "students, %(changes)s change(s)."
                )
                % {
                    "year": year,
                    "day": short_date(day),
                    "session": session,
                    "students": len(group),
                    "changes": len(marks),
                },
            )
            query = f"?year_group={year}&date={day.isoformat()}&session={session}"
            if len(tenancy.school_ids(request.user)) > 1:
                query += f"&school={school.code}"
            return redirect(reverse("register") + query)
    return _register_page(request, school, pick, rows)


def _register_changes(rows, posted, day, session) -> tuple[list[AttendanceInput], list[str]]:
    """The marks the teacher changed (only those are written) and the codes of students whose
    posted mark is unknown."""
    marks, errors = [], []
    for row in rows:
        code = posted.get(f"mark-{row['student'].pk}", "/")
        mark = MARKS_BY_CODE.get(code)
        if mark is None:
            errors.append(row["student"].code)
        elif code != row["mark"]:
            marks.append(
                AttendanceInput(
                    student=row["student"],
                    date=day,
                    session=session,
                    status=mark.status,
                    original_code=mark.code,
                )
            )
    return marks, errors


def _register_page(request, school, pick, rows, **extra):
    return render(
        request,
        "schools/register.html",
        {
            "pick": pick,
            "rows": rows,
            "marks": REGISTER_MARKS,
            "school": school,
            "schools": school_choices(request, tenancy.STAFF_ROLES),
            **extra,
        },
    )
