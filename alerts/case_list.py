"""The cases list as a read: the filters of the cases page applied to the user's cases, in
the page's order, with each case's owner and last activity. The page and its CSV export use
this one function, so the file holds exactly the rows the page shows."""

from __future__ import annotations

from django.db.models import Case as SqlCase
from django.db.models import IntegerField, Max, Prefetch, QuerySet, Value, When

from schools import tenancy
from schools.models import Student

from .forms import CaseFilterForm
from .models import SEVERITY_ORDER, STAGE_ORDER, Case, CaseRule, CaseStatus

CASEWORK = tenancy.CASEWORK_ROLES


def _ranked(field: str, order) -> SqlCase:
    return SqlCase(
        *(When(**{field: value}, then=Value(i)) for i, value in enumerate(order)),
        default=Value(0),
        output_field=IntegerField(),
    )


def casework_year_groups(*, user) -> list[int]:
    return sorted(
        {
            y
            for y in tenancy.scope(Student.objects.all(), user, roles=CASEWORK)
            .values_list("year_group", flat=True)
            .distinct()
            if y
        }
    )


def case_filter_form(*, user, data) -> CaseFilterForm:
    return CaseFilterForm(data or None, year_groups=casework_year_groups(user=user))


def cases_for_list(*, user, filters: CaseFilterForm) -> QuerySet[Case]:
    """The user's cases (schools where they do casework) that match `filters` (a bound or
    unbound CaseFilterForm): open ones unless a status is chosen; new first, then the most
    severe, the furthest stage, the longest-running pattern. Each row carries
    `last_activity` (the time of its latest timeline entry) and its fired rules."""
    qs = tenancy.scope(
        Case.objects.select_related("student", "student__school", "owner"), user, roles=CASEWORK
    )
    status = ""
    if filters.is_bound and filters.is_valid():
        f = filters.cleaned_data
        status = f["status"]
        if f["stage"]:
            qs = qs.filter(stage=f["stage"])
        if f["severity"]:
            qs = qs.filter(severity=f["severity"])
        if f["year_group"]:
            qs = qs.filter(student__year_group=f["year_group"])
        if f.get("owner") == "mine":
            qs = qs.filter(owner=user)
        elif f.get("owner") == "none":
            qs = qs.filter(owner__isnull=True)
        if f.get("code"):
            qs = qs.filter(student__code__icontains=f["code"])
    if status == "all":
        pass
    elif status:
        qs = qs.filter(status=status)
    else:
        qs = qs.exclude(status=CaseStatus.RESOLVED)
    return (
        qs.annotate(
            is_new=SqlCase(
                When(status=CaseStatus.NEW, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            severity_rank=_ranked("severity", SEVERITY_ORDER),
            stage_rank=_ranked("stage", STAGE_ORDER),
            last_activity=Max("events__at"),
        )
        .order_by("is_new", "-severity_rank", "-stage_rank", "persisted_since", "pk")
        .prefetch_related(Prefetch("fired_rules", queryset=CaseRule.objects.order_by("rule_name")))
    )


def student_cases(*, student: Student) -> list[Case]:
    """Every case of `student`, the open one first, then the resolved ones, newest first.
    The caller has already scoped the student to the user."""
    cases = list(Case.objects.filter(student=student).select_related("owner"))
    return sorted(cases, key=lambda c: (not c.is_open, -c.opened_at.timestamp()))
