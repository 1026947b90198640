"""The cases pages of counsellors and school admins: the worklist (owner, review date, last
activity; filters by owner and code), a case with why it was flagged, and the steps taken on
it (acknowledge, note, action, status, resolve; owner, review date and reopening are in
alerts.views.followup)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.screening import SCREENING_HELP
from schools import tenancy
from schools.calendar import calendar_read
from schools.signs import SIGNS

from .. import selectors, services
from ..case_dates import case_why_flagged_dated
from ..charts import chart_geometry, weekly_series
from ..chronology import CHART_LEAD, CHART_SPAN, case_timeline
from ..forms import (
    ActionForm,
    CaseFilterForm,
    NoteForm,
    OwnerForm,
    ReopenForm,
    ResolveForm,
    ReviewForm,
    StatusForm,
)
from ..models import Case, CaseStatus, Severity, Stage
from ..records import CALENDAR_LOOKBACK
from ..rule_text import stock_text

# A page of the worklist: the most pressing cases come first, and a counsellor works from the
# top; the CSV export holds every case that matches.
PAGE_SIZE = 25
# The columns a row of the page (and its audit entry) reads: the rest of a case (its evidence
# JSON, the dates of its steps), of its student and of its owner's account cost a third of
# the list's read to load for nothing. The CSV export reads whole cases.
LIST_COLUMNS = (
    *("origin", "owner", "review_on", "status", "stage", "severity", "persisted_since"),
    *("student__code", "student__year_group", "student__school"),
    *("student__school__name", "student__school__time_zone", "owner__email"),
)


@login_required
def cases(request):
    if not tenancy.school_ids(request.user, tenancy.CASEWORK_ROLES):
        raise Http404(_("No such page."))
    filters = case_filters(request)
    matching = _matching(request, filters)
    page = _Worklist(
        # The rules' names read apart (selectors.fired_rule_names): the prefetch of whole
        # CaseRule rows cost 2-4 ms of the 30-40 ms the page took.
        selectors.cases_in_worklist_order(matching).only(*LIST_COLUMNS),
        PAGE_SIZE,
        matching=matching,
    ).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    today: dict[int, dt.date] = {}
    # Each label looked up in the catalogue once a page, not once a row (a row's status,
    # severity, stage and rules were a third of its rendering).
    labels = {
        name: {choice.value: str(choice.label) for choice in choices}
        for name, choices in (("status", CaseStatus), ("severity", Severity), ("stage", Stage))
    }
    fired = selectors.fired_rule_names(cases=rows)
    rule_names = {name: stock_text(name) for name in {n for ns in fired.values() for n in ns}}
    comma = _(", ")
    for case in rows:
        school = case.student.school
        day = today.setdefault(school.pk, school.today())
        case.review_overdue = bool(case.review_on and case.is_open and case.review_on < day)
        case.review_today = bool(case.review_on and case.is_open and case.review_on == day)
        case.status_label = labels["status"].get(case.status, case.status)
        case.severity_label = labels["severity"].get(case.severity, case.severity)
        case.stage_label = labels["stage"].get(case.stage, case.stage)
        case.rules_label = comma.join(rule_names[n] for n in fired.get(case.pk, ()))
    services.cases_record_list_read(cases=rows, by=request.user)
    return render(
        request,
        "alerts/cases.html",
        {
            "cases": rows,
            "filters": filters,
            "page": page,
            "export_query": urlencode(filters.active()),
        },
    )


def case_filters(request) -> CaseFilterForm:
    return CaseFilterForm(request.GET or None, year_groups=selectors.case_year_groups(request.user))


class _Worklist(Paginator):
    """The worklist in pages, counted on the matching cases alone: counting the ordered list
    (its rank annotations and the last activity's aggregate) is a count of a grouped
    subquery, which cost more to compile and to run; there is one row a case either way."""

    def __init__(self, ordered: QuerySet[Case], per_page: int, *, matching: QuerySet[Case]):
        super().__init__(ordered, per_page)
        self.matching = matching

    @cached_property
    def count(self) -> int:
        return self.matching.count()


def worklist(request, filters: CaseFilterForm) -> QuerySet[Case]:
    """Every case the list shows for `filters`, in its order, with the fired rules: the CSV
    export's rows (the page reads the same order in pages)."""
    return selectors.with_fired_rules(
        selectors.cases_in_worklist_order(_matching(request, filters))
    )


def _matching(request, filters: CaseFilterForm) -> QuerySet[Case]:
    wanted = {}
    if filters.is_valid():
        f = filters.cleaned_data
        wanted = {k: f[k] for k in ("status", "stage", "severity", "year_group", "owner", "code")}
    return selectors.cases_matching(
        cases=selectors.cases_visible_to(request.user), user=request.user, **wanted
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
    start = min(case.first_evidence_on, case.persisted_since) - CHART_LEAD
    start = max(start, today - CHART_SPAN)
    # The calendar read once for the chart, the rule dates and the evidence weeks: the span
    # the rule dates read (the chart's is inside it; older evidence windows are read apart).
    calendar = calendar_read(school, today - CALENDAR_LOOKBACK, today)
    weeks = weekly_series(
        school=school, start=start, end=today, student=case.student, calendar=calendar
    )
    counsellors = services.school_counsellors(school_id=school.pk)
    return render(
        request,
        "alerts/case_detail.html",
        {
            "case": case,
            "student": case.student,
            "rules": case_why_flagged_dated(case=case, calendar=calendar),
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
            "review_overdue": bool(case.is_open and case.review_on and case.review_on < today),
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
    return _after(request, case, _("Acknowledged. The case is yours to work."))


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
    return _after(request, case, _("Note added to the timeline."))


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
    return _after(request, case, _("Action recorded on the timeline."))


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
    return _after(request, case, _("Status changed."))


@login_required
@require_POST
def case_resolve(request, pk: int):
    case = _case_or_404(request, pk)
    form = ResolveForm(request.POST, prefix="resolve")
    if not form.is_valid():
        return _after(request, case, error=_form_error(form))
    try:
        services.case_resolve(
            case=case,
            by=request.user,
            reason=form.cleaned_data["reason"],
            outcome=form.cleaned_data["outcome"],
        )
    except ValidationError as exc:
        return _after(request, case, error=exc)
    return _after(request, case, _("Resolved. New evidence after today would reopen it."))
