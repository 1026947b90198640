"""Web pages for what is concluded: cases, the school overview, rules with their live
preview, and the in-app notices; plus the landing page that sends each person to their work.

Thin: every queryset goes through schools.tenancy.scope(), so another school's case or rule is
a 404, and so is a counsellor or admin page for a teacher, whatever URL is typed. Writes go
through alerts.services.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Case as SqlCase
from django.db.models import Count, IntegerField, Prefetch, Value, When
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.screening import SCREENING_HELP
from schools import tenancy
from schools.models import Role, Student
from schools.signs import SIGNS
from schools.views import ADMIN_ROLES, current_school, with_school

from . import services
from .charts import chart_geometry, weekly_series
from .forms import ActionForm, CaseFilterForm, NoteForm, ResolveForm, RuleForm, StatusForm
from .models import (
    SEVERITY_ORDER,
    STAGE_ORDER,
    Case,
    CaseEvent,
    CaseEvidence,
    CaseRule,
    CaseStatus,
    Notice,
    Stage,
    WarningRule,
)

CASEWORK = tenancy.CASEWORK_ROLES


def notices_context(request) -> dict:
    """The bell in the header: how many of the user's notices are unread."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notices_unread": _my_notices(request).filter(read_at__isnull=True).count()}


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


# --- cases ----------------------------------------------------------------------------------


def _ranked(field: str, order) -> SqlCase:
    return SqlCase(
        *(When(**{field: value}, then=Value(i)) for i, value in enumerate(order)),
        default=Value(0),
        output_field=IntegerField(),
    )


def _cases(request):
    return tenancy.scope(
        Case.objects.select_related("student", "student__school"), request.user, roles=CASEWORK
    )


@login_required
def cases(request):
    if not tenancy.school_ids(request.user, CASEWORK):
        raise Http404("No such page.")
    qs = _cases(request)
    year_groups = sorted(
        {
            y
            for y in tenancy.scope(Student.objects.all(), request.user, roles=CASEWORK)
            .values_list("year_group", flat=True)
            .distinct()
            if y
        }
    )
    filters = CaseFilterForm(request.GET or None, year_groups=year_groups)
    status = ""
    if filters.is_valid():
        f = filters.cleaned_data
        status = f["status"]
        if f["stage"]:
            qs = qs.filter(stage=f["stage"])
        if f["severity"]:
            qs = qs.filter(severity=f["severity"])
        if f["year_group"]:
            qs = qs.filter(student__year_group=f["year_group"])
    if status == "all":
        pass
    elif status:
        qs = qs.filter(status=status)
    else:
        qs = qs.exclude(status=CaseStatus.RESOLVED)
    # New first, then the most severe, the furthest stage, and the longest-running pattern.
    qs = (
        qs.annotate(
            is_new=SqlCase(
                When(status=CaseStatus.NEW, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            severity_rank=_ranked("severity", SEVERITY_ORDER),
            stage_rank=_ranked("stage", STAGE_ORDER),
        )
        .order_by("is_new", "-severity_rank", "-stage_rank", "persisted_since", "pk")
        .prefetch_related(Prefetch("fired_rules", queryset=CaseRule.objects.order_by("rule_name")))
    )
    rows = list(qs[:200])
    return render(
        request,
        "alerts/cases.html",
        {"cases": rows, "filters": filters, "today": timezone.localdate()},
    )


def _case_or_404(request, pk: int) -> Case:
    return get_object_or_404(_cases(request), pk=pk)


def why_flagged(case: Case) -> list[dict]:
    """Each rule that fired and, window by window, the records that satisfied it."""
    rows = (
        CaseEvidence.objects.filter(case=case)
        .select_related("observation__recorded_by", "attendance", "rule")
        .prefetch_related("observation__signs")
        .order_by("rule_id", "window_start", "on_date")
    )
    fired = list(case.fired_rules.order_by("first_fired_on", "rule_name"))
    by_rule: dict[int | None, dict] = {}
    for cr in fired:
        by_rule.setdefault(
            cr.rule_id,
            {
                "name": cr.rule_name,
                "versions": [],
                "first": cr.first_fired_on,
                "last": cr.last_fired_on,
                "description": cr.rule.description if cr.rule else "",
                "windows": defaultdict(list),
            },
        )
        entry = by_rule[cr.rule_id]
        entry["versions"].append(cr.rule_version)
        entry["first"] = min(entry["first"], cr.first_fired_on)
        entry["last"] = max(entry["last"], cr.last_fired_on)
    for ev in rows:
        entry = by_rule.setdefault(
            ev.rule_id,
            {
                "name": ev.rule.name if ev.rule else "A rule",
                "versions": [],
                "first": None,
                "last": None,
                "description": "",
                "windows": defaultdict(list),
            },
        )
        if ev.observation_id:
            obs = ev.observation
            item = {
                "kind": "observation",
                "date": ev.on_date,
                "signs": [SIGNS[s.sign] for s in obs.signs.all() if s.sign in SIGNS],
                "by": obs.recorded_by,
                "withdrawn": obs.withdrawn_at is not None,
            }
        else:
            item = {
                "kind": "attendance",
                "date": ev.on_date,
                "session": ev.attendance.session,
                "status": ev.attendance.get_status_display(),
                "code": ev.attendance.original_code,
            }
        entry["windows"][(ev.window_start, ev.window_end)].append(item)
    result = []
    for entry in by_rule.values():
        entry["windows"] = [
            {"start": start, "end": end, "items": items}
            for (start, end), items in sorted(entry["windows"].items())
        ]
        result.append(entry)
    return result


@login_required
def case_detail(request, pk: int):
    case = _case_or_404(request, pk)
    school = case.student.school
    services.case_record_read(case=case, by=request.user)
    _mark_case_notices_read(request, case)
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
            "rules": why_flagged(case),
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


# --- school overview ------------------------------------------------------------------------


@login_required
def overview(request):
    school = current_school(request, CASEWORK)
    case_qs = tenancy.scope(
        Case.objects.filter(student__school=school), request.user, roles=CASEWORK
    )
    counts = defaultdict(int)
    for row in case_qs.values("stage", "status").annotate(n=Count("id")):
        counts[(row["stage"], row["status"])] += row["n"]
    stages = list(Stage)
    # Statuses down, stages across: three columns fit a phone.
    table = [
        {"status": status, "cells": [counts[(stage.value, status.value)] for stage in stages]}
        for status in CaseStatus
    ]
    totals = [sum(counts[(stage.value, s.value)] for s in CaseStatus) for stage in stages]
    open_total = sum(n for (_stage, status), n in counts.items() if status != CaseStatus.RESOLVED)
    today = school.today()
    weeks = weekly_series(school=school, start=today - dt.timedelta(weeks=12), end=today)
    return render(
        request,
        "alerts/overview.html",
        {
            "school": school,
            "schools": list(tenancy.schools_for(request.user, roles=CASEWORK)),
            "stages": stages,
            "table": table,
            "totals": totals,
            "open_total": open_total,
            "chart": chart_geometry(weeks),
            "weeks": weeks,
        },
    )


# --- rules ----------------------------------------------------------------------------------


def _rules(request):
    return tenancy.scope(
        WarningRule.objects.select_related("school"), request.user, roles=ADMIN_ROLES
    )


@login_required
def rules(request):
    school = current_school(request, ADMIN_ROLES)
    return render(
        request,
        "alerts/rules.html",
        {
            "school": school,
            "schools": list(tenancy.schools_for(request.user, roles=ADMIN_ROLES)),
            "rules": _rules(request).filter(school=school).order_by("name"),
        },
    )


@login_required
def rule_edit(request, pk: int):
    rule = get_object_or_404(_rules(request), pk=pk)
    form = RuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.rule_update(
                rule=form.instance, by=request.user, fields=form.changed_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Saved: {saved.name} is now version {saved.version}.")
            return redirect("rule-edit", pk=saved.pk)
    return render(
        request,
        "alerts/rule_edit.html",
        {"rule": WarningRule.objects.get(pk=rule.pk), "form": form},
    )


@login_required
@require_POST
def rule_toggle(request, pk: int):
    rule = get_object_or_404(_rules(request), pk=pk)
    rule.enabled = not rule.enabled
    rule = services.rule_update(rule=rule, by=request.user, fields=["enabled"])
    state = "enabled" if rule.enabled else "disabled"
    messages.success(request, f"{rule.name} is {state} (version {rule.version}).")
    return redirect(with_school(reverse("rules"), rule.school, request))


@login_required
@require_POST
def rule_preview(request, pk: int):
    """What the rule as edited on the page (not yet saved) would flag today, as JSON for the
    page's preview script. Validated by the same form that saves it."""
    rule = get_object_or_404(_rules(request), pk=pk)
    form = RuleForm(request.POST, instance=WarningRule.objects.get(pk=rule.pk))
    if not form.is_valid():
        return JsonResponse(
            {"ok": False, "errors": {k: [str(e) for e in v] for k, v in form.errors.items()}},
            status=400,
        )
    return JsonResponse({"ok": True, **rule_preview_data(rule=form.instance)})


def rule_preview_data(*, rule: WarningRule) -> dict:
    """The preview as the page's script reads it: who `rule` (as edited, saved or not) would
    flag today, and on which school day each would first have fired."""
    preview = services.rule_preview(rule=rule)
    year_groups = dict(
        Student.objects.filter(pk__in=[s.student_id for s in preview.students]).values_list(
            "pk", "year_group"
        )
    )
    flagged = preview.flagged_on_date
    return {
        "on": preview.on_date.isoformat(),
        "count": len(flagged),
        "earlier_only": len(preview.students) - len(flagged),
        "students": [
            {
                "code": s.code,
                "year_group": year_groups.get(s.student_id),
                "first_fired_on": s.first_fired_on.isoformat(),
            }
            for s in flagged
        ],
    }


# --- notices --------------------------------------------------------------------------------


def _my_notices(request):
    # As in the notices API: the user's own notices, at schools where they do casework.
    return tenancy.scope(Notice.objects.filter(user=request.user), request.user, roles=CASEWORK)


def _mark_case_notices_read(request, case: Case) -> None:
    services.notices_mark_read(notices=_my_notices(request).filter(case=case))


@login_required
def notices(request):
    items = list(_my_notices(request).select_related("case__student")[:100])
    return render(request, "alerts/notices.html", {"notices": items})


@login_required
@require_POST
def notices_read(request):
    ids = [int(i) for i in request.POST.getlist("notice") if i.isdigit()]
    notices = _my_notices(request)
    if ids:
        notices = notices.filter(pk__in=ids)
    services.notices_mark_read(notices=notices)
    return redirect("notices")
