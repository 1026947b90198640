"""Web pages of casework follow-up: the cases list (owner, last activity, "mine", search by
code) and its CSV export, the case page with its owner, review date, reopening and the
chronology PDF, a concern raised by hand, and the school overview's CSV export.

Thin, as the other pages: every queryset goes through schools.tenancy.scope() (another
school's case is a 404), writes go through alerts.followup and alerts.services, and every
export is audited (core.audit) before it is handed out.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.audit import audit_record
from core.screening import SCREENING_HELP
from schools import tenancy
from schools.models import Student
from schools.signs import SIGNS
from schools.views import current_school

from . import followup, services
from .case_list import case_filter_form, cases_for_list
from .charts import chart_geometry, weekly_series
from .chronology import CHART_LEAD, CHART_SPAN, case_chronology, case_timeline
from .exports import cases_csv, overview_csv
from .forms import (
    ActionForm,
    ConcernForm,
    NoteForm,
    OwnerForm,
    ReopenForm,
    ResolveForm,
    ReviewForm,
    StatusForm,
)
from .models import Case, CaseStatus
from .pdf import pdf_from_template

CASEWORK = tenancy.CASEWORK_ROLES
LIST_LIMIT = 200


def _cases(request):
    return tenancy.scope(
        Case.objects.select_related("student", "student__school", "owner"),
        request.user,
        roles=CASEWORK,
    )


def _case_or_404(request, pk: int) -> Case:
    return get_object_or_404(_cases(request), pk=pk)


def _require_casework(request) -> None:
    if not tenancy.school_ids(request.user, CASEWORK):
        raise Http404("No such page.")


# --- the cases list and its export -----------------------------------------------------------


@login_required
def cases(request):
    _require_casework(request)
    filters = case_filter_form(user=request.user, data=request.GET)
    rows = list(cases_for_list(user=request.user, filters=filters)[:LIST_LIMIT])
    today = {}
    for case in rows:
        school = case.student.school
        day = today.setdefault(school.pk, school.today())
        case.review_overdue = bool(case.review_on and case.is_open and case.review_on < day)
        case.review_today = bool(case.review_on and case.is_open and case.review_on == day)
    return render(
        request,
        "alerts/cases.html",
        {
            "cases": rows,
            "filters": filters,
            "export_query": urlencode(filters.active()),
            "limited": len(rows) == LIST_LIMIT,
        },
    )


def _attachment(content: bytes | str, *, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def cases_export(request):
    """The cases the list shows with the same filters (every row, not only the first
    page), as CSV. Audited: who exported, with which filters, how many rows."""
    _require_casework(request)
    filters = case_filter_form(user=request.user, data=request.GET)
    rows = list(cases_for_list(user=request.user, filters=filters))
    for school_id in tenancy.school_ids(request.user, CASEWORK):
        audit_record(
            actor=request.user,
            action="cases.export",
            obj=tenancy.schools_for(request.user, roles=CASEWORK).get(pk=school_id),
            school_id=school_id,
            detail={
                "format": "csv",
                "filters": filters.active(),
                "rows": sum(1 for c in rows if c.student.school_id == school_id),
            },
        )
    stamp = timezone.localdate().isoformat()
    return _attachment(
        cases_csv(rows), filename=f"cases-{stamp}.csv", content_type="text/csv; charset=utf-8"
    )


@login_required
def overview_export(request):
    """The school overview (cases by status and stage, and the weekly series) as CSV."""
    school = current_school(request, CASEWORK)
    case_qs = tenancy.scope(
        Case.objects.filter(student__school=school), request.user, roles=CASEWORK
    )
    audit_record(
        actor=request.user,
        action="overview.export",
        obj=school,
        school_id=school.pk,
        detail={"format": "csv"},
    )
    return _attachment(
        overview_csv(school=school, cases=case_qs),
        filename=f"overview-{school.code}-{school.today().isoformat()}.csv",
        content_type="text/csv; charset=utf-8",
    )


# --- the case page ---------------------------------------------------------------------------


@login_required
def case_detail(request, pk: int):
    from .views import _mark_case_notices_read, why_flagged

    case = _case_or_404(request, pk)
    school = case.student.school
    services.case_record_read(case=case, by=request.user)
    _mark_case_notices_read(request, case)
    today = school.today()
    start = min(case.first_evidence_on, case.persisted_since) - CHART_LEAD
    start = max(start, today - CHART_SPAN)
    weeks = weekly_series(school=school, start=start, end=today, student=case.student)
    counsellors = followup.school_counsellors(school_id=school.pk)
    return render(
        request,
        "alerts/case_detail.html",
        {
            "case": case,
            "student": case.student,
            "rules": why_flagged(case),
            "context_signs": [SIGNS[c].label for c in case.context_signs or () if c in SIGNS],
            "chart": chart_geometry(weeks),
            "entries": case_timeline(case=case, newest_first=True),
            "note_form": NoteForm(prefix="note"),
            "action_form": ActionForm(prefix="action"),
            "status_form": StatusForm(
                prefix="status", current=case.status, initial={"status": case.status}
            ),
            "resolve_form": ResolveForm(prefix="resolve"),
            "owner_form": OwnerForm(
                prefix="owner", counsellors=counsellors, initial={"owner": case.owner_id}
            ),
            "review_form": ReviewForm(prefix="review", initial={"review_on": case.review_on}),
            "reopen_form": ReopenForm(prefix="reopen"),
            "screening_help": SCREENING_HELP,
            "is_open": case.is_open,
            "review_overdue": case.is_open and case.review_on and case.review_on < today,
            "today": today,
        },
    )


def _after(request, case: Case, message: str | None = None, error: ValidationError | None = None):
    if error is not None:
        messages.error(request, " ".join(error.messages))
    elif message:
        messages.success(request, message)
    return redirect("case-detail", pk=case.pk)


def _form_error(form) -> ValidationError:
    return ValidationError([e for errors in form.errors.values() for e in errors])


@login_required
@require_POST
def case_owner(request, pk: int):
    case = _case_or_404(request, pk)
    counsellors = followup.school_counsellors(school_id=case.student.school_id)
    form = OwnerForm(request.POST, prefix="owner", counsellors=counsellors)
    if not form.is_valid():
        return _after(request, case, error=_form_error(form))
    try:
        followup.case_set_owner(case=case, owner=form.cleaned_data["owner"], by=request.user)
    except ValidationError as exc:
        return _after(request, case, error=exc)
    return _after(request, case, f"{case.owner} now owns the case.")


@login_required
@require_POST
def case_review(request, pk: int):
    case = _case_or_404(request, pk)
    form = ReviewForm(request.POST, prefix="review")
    if not form.is_valid():
        return _after(request, case, error=_form_error(form))
    day = form.cleaned_data["review_on"]
    try:
        followup.case_set_review(case=case, review_on=day, by=request.user)
    except ValidationError as exc:
        return _after(request, case, error=exc)
    if day is None:
        return _after(request, case, "Review date cleared.")
    return _after(request, case, f"Review on {day:%a %-d %b %Y}: the owner is reminded that day.")


@login_required
@require_POST
def case_reopen(request, pk: int):
    case = _case_or_404(request, pk)
    form = ReopenForm(request.POST, prefix="reopen")
    if not form.is_valid():
        return _after(request, case, error=_form_error(form))
    try:
        followup.case_reopen_by_hand(case=case, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        return _after(request, case, error=exc)
    return _after(request, case, "Reopened: the case is in progress again.")


@login_required
def case_chronology_pdf(request, pk: int):
    """The case chronology as a PDF built on the server. Audited as an export."""
    case = _case_or_404(request, pk)
    chron = case_chronology(case=case, by=request.user)
    pdf = pdf_from_template("alerts/pdf/chronology.html", {"chron": chron})
    audit_record(
        actor=request.user,
        action="case.export",
        obj=case,
        school_id=case.student.school_id,
        detail={"format": "pdf", "events": len(chron.entries)},
    )
    return _attachment(pdf, filename=chron.filename, content_type="application/pdf")


# --- a concern raised by hand ----------------------------------------------------------------


@login_required
def concern_new(request):
    """Open a case by hand for a student of the user's school(s), for what no rule sees."""
    _require_casework(request)
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
                "No current student of your school has this code."
                if not students
                else "Several of your schools have a student with this code.",
            )
        else:
            try:
                case = followup.case_open_by_hand(
                    student=student,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    severity=form.cleaned_data["severity"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
                open_case = (
                    _cases(request).filter(student=student).exclude(status=CaseStatus.RESOLVED)
                )
                return render(
                    request,
                    "alerts/concern_new.html",
                    {"form": form, "open_case": open_case.first()},
                )
            messages.success(request, f"Case opened for {student.code}.")
            return redirect("case-detail", pk=case.pk)
    return render(request, "alerts/concern_new.html", {"form": form})
