"""Web pages for recording: log an observation, my observations, the register, the school
admin's staff and students pages, and the student page of counsellors and school admins.

Thin: every queryset goes through schools.tenancy.scope(), so a page simply does not find
another school's rows (404), and a page for a role the user does not hold at any school is a
404 too. Writes go through schools.services.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.audit import audit_record
from core.limits import validate_date_bounds
from core.screening import SCREENING_HELP

from . import selectors, services, tenancy
from .calendar import is_school_day, last_school_days
from .forms import (
    MARKS_BY_CODE,
    REGISTER_MARKS,
    CorrectionForm,
    ObservationForm,
    RegisterPickForm,
    RoleForm,
    StaffAddForm,
    StudentAddForm,
    StudentBulkForm,
    mark_of,
    new_client_id,
)
from .models import AttendanceRecord, Membership, Observation, Role, School, Student
from .services import AttendanceInput
from .signs import SIGNS

ADMIN_ROLES = frozenset({Role.SCHOOL_ADMIN})


def nav_context(request) -> dict:
    """What the navigation shows: one flag per kind of page the user may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav": {
            "records": bool(tenancy.school_ids(user, tenancy.STAFF_ROLES)),
            "casework": bool(tenancy.school_ids(user, tenancy.CASEWORK_ROLES)),
            "admin": bool(tenancy.school_ids(user, ADMIN_ROLES)),
        }
    }


def current_school(request, roles) -> School:
    """The school a page acts on: the one named by ?school=<code> among the user's schools
    with one of `roles`, else the first of them. None of them: 404, like any other row the
    user may not see."""
    schools = tenancy.schools_for(request.user, roles=roles)
    code = request.POST.get("school") or request.GET.get("school")
    school = schools.filter(code=code).first() if code else schools.first()
    if school is None:
        raise Http404("No such page.")
    return school


def _school_choices(request, roles):
    return list(tenancy.schools_for(request.user, roles=roles))


def staff_students(request, school: School):
    """Active students of `school`, scoped to the user (so never another school's)."""
    return tenancy.scope(
        Student.objects.filter(school=school, is_active=True),
        request.user,
        roles=tenancy.STAFF_ROLES,
    )


# --- log an observation ---------------------------------------------------------------------


@login_required
def observe(request):
    school = current_school(request, tenancy.STAFF_ROLES)
    students = staff_students(request, school)
    if request.method == "POST":
        form = ObservationForm(request.POST, school=school, students=students)
        if form.is_valid():
            data = form.cleaned_data
            try:
                observation, created = services.observation_create(
                    student=data["student"],
                    observed_on=data["observed_on"],
                    signs=data["signs"],
                    note=data["note"],
                    recorded_by=request.user,
                    client_id=data["client_id"],
                )
            except services.ClientIdConflict:
                form.add_error(None, "This form was already used; please fill it in again.")
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                labels = ", ".join(str(SIGNS[c].label) for c in observation.sign_codes)
                verb = "Recorded" if created else "Already recorded"
                messages.success(
                    request,
                    f"{verb}: {observation.student.code} on {observation.observed_on:%d %b} "
                    f"({labels}). You can correct it under My observations for "
                    f"{services.observation_correction_hours()} hours.",
                )
                return redirect(with_school(reverse("observe"), school, request))
    else:
        form = ObservationForm(
            initial={"observed_on": school.today(), "client_id": new_client_id()},
            school=school,
            students=students,
        )
    # One tap for the students this person wrote about lately: most entries are follow-ups.
    recent = list(
        Observation.objects.filter(recorded_by=request.user, student__in=students)
        .order_by("-created_at")
        .values_list("student__code", flat=True)[:30]
    )
    return render(
        request,
        "schools/observe.html",
        {
            "recent_codes": list(dict.fromkeys(recent))[:6],
            "form": form,
            "school": school,
            "schools": _school_choices(request, tenancy.STAFF_ROLES),
            "screening_help": SCREENING_HELP,
        },
    )


def with_school(url: str, school: School, request) -> str:
    """`url` naming the school when the user has more than one, so they come back to it."""
    if len(tenancy.school_ids(request.user)) > 1:
        return f"{url}?school={school.code}"
    return url


@login_required
def student_search(request):
    """Type-ahead: the active students of the user's school whose code contains `q`."""
    school = current_school(request, tenancy.STAFF_ROLES)
    q = request.GET.get("q", "").strip().upper()[:17]
    rows = []
    if q:
        matches = staff_students(request, school).filter(code__contains=q).order_by("code")[:10]
        rows = [{"code": s.code, "year_group": s.year_group} for s in matches]
    return JsonResponse({"results": rows})


# --- my observations ------------------------------------------------------------------------


def _own_observations(request):
    return tenancy.scope(
        Observation.objects.filter(recorded_by=request.user),
        request.user,
        roles=tenancy.STAFF_ROLES,
    ).select_related("student", "recorded_by")


@login_required
def my_observations(request):
    if not tenancy.school_ids(request.user, tenancy.STAFF_ROLES):
        raise Http404("No such page.")
    page = Paginator(
        _own_observations(request).prefetch_related("signs").order_by("-created_at"), 25
    ).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [
        {
            "obs": obs,
            "signs": [SIGNS[c] for c in obs.sign_codes],
            "can_correct": services.observation_can_correct(
                observation=obs, by=request.user, now=now
            ),
            "deadline": services.observation_correction_deadline(obs),
        }
        for obs in page
    ]
    return render(
        request,
        "schools/my_observations.html",
        {"page": page, "rows": rows, "hours": services.observation_correction_hours()},
    )


@login_required
def observation_correct(request, pk: int):
    observation = get_object_or_404(_own_observations(request), pk=pk)
    school = observation.student.school
    if not services.observation_can_correct(observation=observation, by=request.user):
        messages.error(request, "This observation can no longer be corrected.")
        return redirect("my-observations")
    students = staff_students(request, school)
    if request.method == "POST":
        form = CorrectionForm(
            request.POST, school=school, students=students, observation=observation
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.observation_correct(
                    observation=observation,
                    by=request.user,
                    observed_on=data["observed_on"],
                    signs=data["signs"],
                    note=data["note"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request, f"Corrected: the observation of {observation.student.code}."
                )
                return redirect("my-observations")
    else:
        form = CorrectionForm(
            initial={
                "student": observation.student.code,
                "observed_on": observation.observed_on,
                "signs": observation.sign_codes,
                "note": observation.note,
            },
            school=school,
            students=students,
            observation=observation,
        )
    return render(
        request,
        "schools/observation_correct.html",
        {"form": form, "observation": observation, "screening_help": SCREENING_HELP},
    )


@login_required
@require_POST
def observation_withdraw(request, pk: int):
    observation = get_object_or_404(_own_observations(request), pk=pk)
    try:
        services.observation_withdraw_own(observation=observation, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"Withdrawn: the observation of {observation.student.code} on "
            f"{observation.observed_on:%d %b}. It is kept on record but no longer counts.",
        )
    return redirect("my-observations")


# --- the register ---------------------------------------------------------------------------


@login_required
def register(request):
    school = current_school(request, tenancy.STAFF_ROLES)
    students = staff_students(request, school)
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
            messages.info(request, f"{day:%a %d %b %Y} is not a school day at {school.name}.")
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
                messages.error(request, f"Unknown mark for {', '.join(errors)}; nothing saved.")
                return _register_page(request, school, pick, rows)
            try:
                services.register_save(marks=marks, recorded_by=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return _register_page(request, school, pick, rows)
            messages.success(
                request,
                f"Register saved for Year {year}, {day:%d %b} {session}: "
                f"{len(group)} students, {len(marks)} change(s).",
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
            "schools": _school_choices(request, tenancy.STAFF_ROLES),
            **extra,
        },
    )


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
            "schools": _school_choices(request, ADMIN_ROLES),
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
                    messages.success(request, f"Added {student.code}.")
                    return redirect(with_school(reverse("students"), school, request))
        else:
            bulk_form = StudentBulkForm(request.POST, prefix="bulk")
            if bulk_form.is_valid():
                try:
                    created = services.students_create_bulk(school=school, **bulk_form.cleaned_data)
                except ValidationError as exc:
                    bulk_form.add_error(None, exc)
                else:
                    messages.success(request, f"Added {len(created)} students.")
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
            "schools": _school_choices(request, ADMIN_ROLES),
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
    services.student_deactivate(student=student)
    messages.success(request, f"{student.code} is marked as no longer at the school.")
    return redirect(with_school(reverse("students"), student.school, request))


# --- the student page (counsellors and school admins) ---------------------------------------


class StudentSpanForm(forms.Form):
    """Which school weeks the student page shows: the `weeks` school weeks up to `until`."""

    until = forms.DateField(
        label="Up to",
        required=False,
        help_text="Empty: today.",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        validators=[validate_date_bounds],
    )
    weeks = forms.IntegerField(
        label="School weeks",
        required=False,
        min_value=1,
        max_value=selectors.MAX_WEEKS,
        help_text=f"1 to {selectors.MAX_WEEKS}.",
    )


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
    audit_record(
        actor=request.user,
        action="student.read",
        obj=student,
        school_id=school.pk,
        detail={"until": until.isoformat(), "weeks": weeks},
    )
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
        raise Http404("No such page.")
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
