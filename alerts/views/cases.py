"""The cases pages of counsellors and school admins: the worklist, a case with why it was
flagged, and the steps taken on it (acknowledge, note, action, status, resolve)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.screening import SCREENING_HELP
from schools import tenancy
from schools.signs import SIGNS

from .. import selectors, services
from ..charts import chart_geometry, weekly_series
from ..forms import ActionForm, CaseFilterForm, NoteForm, ResolveForm, StatusForm
from ..models import Case, CaseEvent, CaseStatus


@login_required
def cases(request):
    if not tenancy.school_ids(request.user, tenancy.CASEWORK_ROLES):
        raise Http404("No such page.")
    filters = CaseFilterForm(
        request.GET or None, year_groups=selectors.case_year_groups(request.user)
    )
    wanted = {}
    if filters.is_valid():
        f = filters.cleaned_data
        wanted = {k: f[k] for k in ("status", "stage", "severity", "year_group")}
    qs = selectors.cases_worklist(cases=selectors.cases_visible_to(request.user), **wanted)
    rows = list(qs[:200])
    return render(
        request,
        "alerts/cases.html",
        {"cases": rows, "filters": filters, "today": timezone.localdate()},
    )


def _case_or_404(request, pk: int) -> Case:
    return get_object_or_404(selectors.cases_visible_to(request.user), pk=pk)


@login_required
def case_detail(request, pk: int):
    case = _case_or_404(request, pk)
    school = case.student.school
    services.case_record_read(case=case, by=request.user)
    services.notices_mark_read(notices=selectors.notices_of(request.user).filter(case=case))
    today = school.today()
    start = min(case.first_evidence_on, case.persisted_since) - dt.timedelta(weeks=3)
    start = max(start, today - dt.timedelta(weeks=30))
    weeks = weekly_series(school=school, start=start, end=today, student=case.student)
    events = CaseEvent.objects.filter(case=case).select_related("author").order_by("-at", "-id")
    return render(
        request,
        "alerts/case_detail.html",
        {
            "case": case,
            "student": case.student,
            "rules": selectors.case_why_flagged(case=case),
            "context_signs": [SIGNS[c].label for c in case.context_signs or () if c in SIGNS],
            "chart": chart_geometry(weeks),
            "events": events,
            "note_form": NoteForm(prefix="note"),
            "action_form": ActionForm(prefix="action"),
            "status_form": StatusForm(prefix="status", initial={"status": case.status}),
            "resolve_form": ResolveForm(prefix="resolve"),
            "screening_help": SCREENING_HELP,
            "is_open": case.status != CaseStatus.RESOLVED,
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
def case_acknowledge(request, pk: int):
    case = _case_or_404(request, pk)
    try:
        services.case_acknowledge(case=case, by=request.user)
    except ValidationError as exc:
        return _after(request, case, error=exc)
    return _after(request, case, "Acknowledged. The case is yours to work.")


@login_required
@require_POST
def case_note(request, pk: int):
    case = _case_or_404(request, pk)
    form = NoteForm(request.POST, prefix="note")
    if not form.is_valid():
        return _after(request, case, error=_form_error(form))
    try:
        services.case_add_note(case=case, by=request.user, text=form.cleaned_data["text"])
    except ValidationError as exc:
        return _after(request, case, error=exc)
    return _after(request, case, "Note added to the timeline.")


@login_required
@require_POST
def case_action(request, pk: int):
    case = _case_or_404(request, pk)
    form = ActionForm(request.POST, prefix="action")
    if not form.is_valid():
        return _after(request, case, error=_form_error(form))
    try:
        services.case_record_action(
            case=case,
            by=request.user,
            action_type=form.cleaned_data["action_type"],
            text=form.cleaned_data["text"],
        )
    except ValidationError as exc:
        return _after(request, case, error=exc)
    return _after(request, case, "Action recorded on the timeline.")


@login_required
@require_POST
def case_status(request, pk: int):
    case = _case_or_404(request, pk)
    form = StatusForm(request.POST, prefix="status")
    if not form.is_valid():
        return _after(request, case, error=_form_error(form))
    try:
        services.case_set_status(case=case, by=request.user, to_status=form.cleaned_data["status"])
    except ValidationError as exc:
        return _after(request, case, error=exc)
    return _after(request, case, "Status changed.")


@login_required
@require_POST
def case_resolve(request, pk: int):
    case = _case_or_404(request, pk)
    form = ResolveForm(request.POST, prefix="resolve")
    if not form.is_valid():
        return _after(request, case, error=_form_error(form))
    try:
        services.case_resolve(case=case, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        return _after(request, case, error=exc)
    return _after(request, case, "Resolved. New evidence after today would reopen it.")
