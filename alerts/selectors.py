"""Reads of cases, rules and notices for the pages: who may see which, the cases worklist in
its order, why a case was flagged, the overview's counts, a rule's preview as the page reads
it. Every queryset goes through schools.tenancy.scope()."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import Case as SqlCase
from django.db.models import Count, IntegerField, Max, Prefetch, QuerySet, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from schools import tenancy
from schools.models import AttendanceStatus, ObservationSign, School, Session, Student
from schools.signs import SIGNS

from . import services
from .models import (
    SEVERITY_ORDER,
    STAGE_ORDER,
    Case,
    CaseEvidence,
    CaseRule,
    CaseStatus,
    Notice,
    Stage,
    WarningRule,
)
from .rule_text import rule_describe

if TYPE_CHECKING:
    from core.models import User
    from schools.tenancy import AnyUser

CASEWORK = tenancy.CASEWORK_ROLES


def cases_visible_to(user: AnyUser) -> QuerySet[Case]:
    """The cases of the schools where `user` does casework."""
    return tenancy.scope(
        Case.objects.select_related("student", "student__school", "owner"), user, roles=CASEWORK
    )


def case_year_groups(user: AnyUser) -> list[int]:
    """The year groups of the students at the schools where `user` does casework."""
    return sorted(
        {
            y
            for y in tenancy.scope(Student.objects.all(), user, roles=CASEWORK)
            .values_list("year_group", flat=True)
            .distinct()
            if y
        }
    )


def _ranked(field: str, order: Sequence[str]) -> SqlCase:
    return SqlCase(
        *(When(**{field: value}, then=Value(i)) for i, value in enumerate(order)),
        default=Value(0),
        output_field=IntegerField(),
    )


def cases_matching(
    *,
    cases: QuerySet[Case],
    status: str = "",
    stage: str = "",
    severity: str = "",
    year_group: int | None = None,
    owner: str = "",
    code: str = "",
    user: User | None = None,
) -> QuerySet[Case]:
    """`cases` filtered as the cases page asks (no status: the open ones; "all": every one;
    owner "mine" (`user`'s) or "none"; `code`, a part of the student's code, any case), in
    no order: the page counts these (each filter is on the case, its student or its owner,
    so one row a case)."""
    qs = cases
    if owner == "mine" and user is not None:
        qs = qs.filter(owner=user)
    elif owner == "none":
        qs = qs.filter(owner__isnull=True)
    if code:
        qs = qs.filter(student__code__icontains=code.strip())
    if stage:
        qs = qs.filter(stage=stage)
    if severity:
        qs = qs.filter(severity=severity)
    if year_group:
        qs = qs.filter(student__year_group=year_group)
    if status == "all":
        pass
    elif status:
        qs = qs.filter(status=status)
    else:
        qs = qs.exclude(status=CaseStatus.RESOLVED)
    return qs


def cases_in_worklist_order(qs: QuerySet[Case]) -> QuerySet[Case]:
    """`qs` (cases_matching) in the worklist's order: new first, then the most severe, the
    furthest stage, and the longest-running pattern. Each row carries `last_activity`, the
    time of its latest timeline entry. The page and its CSV export both read this, so they
    hold the same rows."""
    return qs.annotate(
        is_new=SqlCase(
            When(status=CaseStatus.NEW, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
        severity_rank=_ranked("severity", SEVERITY_ORDER),
        stage_rank=_ranked("stage", STAGE_ORDER),
        last_activity=Max("events__at"),
    ).order_by("is_new", "-severity_rank", "-stage_rank", "persisted_since", "pk")


def with_fired_rules(qs: QuerySet[Case]) -> QuerySet[Case]:
    """`qs` with each case's fired rules loaded, in name order (the CSV export's rows)."""
    return qs.prefetch_related(
        Prefetch("fired_rules", queryset=CaseRule.objects.order_by("rule_name"))
    )


def fired_rule_names(*, cases: Sequence[Case]) -> dict[int, list[str]]:
    """{case id: the names of the rules that fired for it, in name order} for `cases` (the
    order with_fired_rules loads them in), in one query; none for no cases."""
    names: dict[int, list[str]] = defaultdict(list)
    if cases:
        rows = CaseRule.objects.filter(case__in=[c.pk for c in cases]).order_by("rule_name")
        for case_id, name in rows.values_list("case_id", "rule_name"):
            names[case_id].append(name)
    return names


def student_cases(*, student: Student) -> list[Case]:
    """Every case of `student`, the open one first, then the resolved ones, newest first.
    The caller has already scoped the student to the user."""
    cases = list(Case.objects.filter(student=student).select_related("owner"))
    return sorted(cases, key=lambda c: (not c.is_open, -c.opened_at.timestamp()))


# What the case page shows of each evidence row: (key, the field read for it).
_EVIDENCE = (
    ("rule", "rule_id"),
    ("window_start", "window_start"),
    ("window_end", "window_end"),
    ("on_date", "on_date"),
    ("observation", "observation_id"),
    ("withdrawn_at", "observation__withdrawn_at"),
    ("by_name", "observation__recorded_by__display_name"),
    ("by_email", "observation__recorded_by__email"),
    ("attendance", "attendance_id"),
    ("session", "attendance__session"),
    ("status", "attendance__status"),
    ("original_code", "attendance__original_code"),
)
_EVIDENCE_KEYS = tuple(key for key, _field in _EVIDENCE)
_EVIDENCE_VALUES = tuple(field for _key, field in _EVIDENCE)


def case_why_flagged(*, case: Case) -> list[dict[str, Any]]:
    """Each rule that fired and, window by window, the records that satisfied it."""
    # The evidence as plain values, its observations' signs in a second read: building the
    # models (evidence, observation, author, mark, rule) and the signs' prefetch took about a
    # sixth of the case page's time in a profile, for a dozen rows a case.
    rows = (
        CaseEvidence.objects.filter(case=case)
        .order_by("rule_id", "window_start", "on_date")
        .values_list(*_EVIDENCE_VALUES)
    )
    fired = list(
        case.fired_rules.select_related("rule__school").order_by("first_fired_on", "rule_name")
    )
    # Each label looked up in the catalogue once a case, not once a mark: a model's
    # get_FOO_display() translates every choice of the field on each call (a third of this
    # read's CPU for a case of twenty marks).
    sessions = {value: str(label) for value, label in Session.choices}
    statuses = {value: str(label) for value, label in AttendanceStatus.choices}
    by_rule: dict[int | None, dict[str, Any]] = {}
    for cr in fired:
        by_rule.setdefault(
            cr.rule_id,
            {
                "name": cr.rule_name,
                "versions": [],
                "first": cr.first_fired_on,
                "last": cr.last_fired_on,
                # What the rule checks now, in the reader's language (alerts.rule_text).
                "description": cr.rule.plain_description if cr.rule else "",
                # The rule as it stands now (None once deleted): alerts.case_dates reads it.
                "rule": cr.rule,
                "windows": defaultdict(list),
            },
        )
        entry = by_rule[cr.rule_id]
        entry["versions"].append(cr.rule_version)
        entry["first"] = min(entry["first"], cr.first_fired_on)
        entry["last"] = max(entry["last"], cr.last_fired_on)
    evidence = [dict(zip(_EVIDENCE_KEYS, row, strict=True)) for row in rows]
    signs: dict[int, list[str]] = defaultdict(list)
    observed = [ev["observation"] for ev in evidence if ev["observation"] is not None]
    if observed:
        for observation_id, sign in ObservationSign.objects.filter(
            observation_id__in=observed
        ).values_list("observation_id", "sign"):  # in the model's order: by sign
            signs[observation_id].append(sign)
    # A rule that is not among the fired ones (not possible for an evaluated case; kept
    # for a case whose rows were written otherwise): read as a whole, as before.
    other_rules = WarningRule.objects.in_bulk(
        {ev["rule"] for ev in evidence if ev["rule"] is not None and ev["rule"] not in by_rule}
    )
    for ev in evidence:
        rule = other_rules.get(ev["rule"])
        entry = by_rule.setdefault(
            ev["rule"],
            {
                "name": rule.name if rule else _("A rule"),
                "versions": [],
                "first": None,
                "last": None,
                "description": "",
                "summary": "",
                "rule": rule,
                "windows": defaultdict(list),
            },
        )
        if ev["observation"] is not None:
            item = {
                "kind": "observation",
                "date": ev["on_date"],
                "signs": [SIGNS[s] for s in signs[ev["observation"]] if s in SIGNS],
                # The author as core.models.User prints itself.
                "by": ev["by_name"] or ev["by_email"],
                "withdrawn": ev["withdrawn_at"] is not None,
            }
        elif ev["attendance"] is not None:
            item = {
                "kind": "attendance",
                "date": ev["on_date"],
                "session": sessions.get(ev["session"], ev["session"]),
                "status": statuses.get(ev["status"], ev["status"]),
                "status_code": ev["status"],
                "code": ev["original_code"],
            }
        else:  # not possible: a check constraint requires one of the two
            continue
        entry["windows"][(ev["window_start"], ev["window_end"])].append(item)
    result = []
    for entry in by_rule.values():
        entry["windows"] = [
            {"start": start, "end": end, "items": items}
            for (start, end), items in sorted(entry["windows"].items())
        ]
        result.append(entry)
    return result


def case_counts(*, school: School, user: AnyUser) -> dict[str, Any]:
    """The overview's table: cases of `school` by status (down) and stage (across: three
    columns fit a phone), the total of each stage, and how many are open."""
    case_qs = tenancy.scope(Case.objects.filter(student__school=school), user, roles=CASEWORK)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for row in case_qs.values("stage", "status").annotate(n=Count("id")):
        counts[(row["stage"], row["status"])] += row["n"]
    stages = list(Stage)
    table = [
        {"status": status, "cells": [counts[(stage.value, status.value)] for stage in stages]}
        for status in CaseStatus
    ]
    totals = [sum(counts[(stage.value, s.value)] for s in CaseStatus) for stage in stages]
    open_total = sum(n for (_stage, status), n in counts.items() if status != CaseStatus.RESOLVED)
    return {"stages": stages, "table": table, "totals": totals, "open_total": open_total}


def rules_visible_to(user: AnyUser) -> QuerySet[WarningRule]:
    """The rules of the schools where `user` is a school admin."""
    return tenancy.scope(
        WarningRule.objects.select_related("school"), user, roles=tenancy.ADMIN_ROLES
    )


def rule_preview_data(*, rule: WarningRule, by: User) -> dict[str, Any]:
    """The preview as the page's script reads it: who `rule` (as edited, saved or not) would
    flag today, and on which school day each would first have fired. Its results are read by
    `by`, which the audit trail records."""
    preview = services.rule_preview(rule=rule)
    services.rule_preview_record_read(rule=rule, preview=preview, by=by)
    year_groups = dict(
        Student.objects.filter(pk__in=[s.student_id for s in preview.students]).values_list(
            "pk", "year_group"
        )
    )
    flagged = preview.flagged_on_date
    return {
        "description": rule_describe(rule),
        "on": preview.on_date.isoformat(),
        "count": len(flagged),
        # The count's sentence in the reader's plural; the page's script puts the number in.
        "count_text": ngettext(
            "Would flag {count} student today.", "Would flag {count} students today.", len(flagged)
        ),
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


def notices_of(user: User) -> QuerySet[Notice]:
    """`user`'s own notices, at the schools where they still do casework (someone who left a
    school, or teaches there now, no longer reads about its cases)."""
    return tenancy.scope(Notice.objects.filter(user=user), user, roles=CASEWORK)
