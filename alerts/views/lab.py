"""The rule lab's pages (school admins): a rule's backtest over a past period, with a sweep
drawn as its precision/recall frontier and another rule side by side; and the import of past
outcomes. Thin: validate the form, call alerts.backtest or alerts.outcomes, render."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from schools import tenancy
from schools.importers.report import ImportRefused

from .. import backtest, backtest_runs, backtest_score, services
from ..lab_chart import frontier_geometry
from ..models import BacktestStatus, OutcomeKind, WarningRule

VERDICT_LABELS = {
    backtest_score.TRUE_POSITIVE: _("Caught in time (true positives)"),
    backtest_score.FALSE_POSITIVE: _("Flagged, no concern found (false positives)"),
    backtest_score.MISSED: _("Missed (not flagged, or flagged too late)"),
    backtest_score.FLAGGED_NO_OUTCOME: _("Flagged, outcome not known"),
    backtest_score.TRUE_NEGATIVE: _("Not flagged, no concern found"),
}


def _rules(request):
    return tenancy.scope(
        WarningRule.objects.select_related("school"), request.user, roles=tenancy.ADMIN_ROLES
    )


class LabForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    min_lead_weeks = forms.IntegerField(
        label=_("Caught in time: at least this many school weeks before the outcome"),
        min_value=0,
        max_value=52,
        initial=2,
    )
    sweep = forms.ChoiceField(
        label=_("Sweep one parameter"),
        required=False,
        choices=[
            ("", _("No sweep")),
            *((k, label) for k, (label, _values) in backtest.SWEEPS.items()),
        ],
    )
    compare = forms.TypedChoiceField(
        label=_("Compare with"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, rule: WarningRule, others, **kwargs):
        super().__init__(*args, **kwargs)
        compare = cast(forms.TypedChoiceField, self.fields["compare"])
        compare.choices = [("", gettext("No other rule"))] + [(r.pk, r.name) for r in others]


def _default_period(school) -> tuple[dt.date, dt.date]:
    today = school.today()
    return today - dt.timedelta(days=365), today


@login_required
def rule_lab(request, pk: int):
    rule = get_object_or_404(_rules(request), pk=pk)
    others = _rules(request).filter(school=rule.school).exclude(pk=rule.pk).order_by("name")
    start, end = _default_period(rule.school)
    asked = "start" in request.GET
    form = LabForm(
        request.GET if asked else None,
        rule=rule,
        others=others,
        initial={"start": start, "end": end, "min_lead_weeks": 2},
    )
    runs, error = [], None
    if asked and form.is_valid():
        data = form.cleaned_data
        chosen = [rule]
        if data["compare"]:
            chosen.append(get_object_or_404(others, pk=data["compare"]))
        try:
            for each in chosen:
                runs.append(
                    backtest_runs.backtest_request(
                        rule=each,
                        start=data["start"],
                        end=data["end"],
                        by=request.user,
                        min_lead_weeks=data["min_lead_weeks"],
                        sweep=data["sweep"] if each is rule else "",
                    )
                )
        except ValidationError as e:
            error = " ".join(e.messages)
            runs = []
    show = request.GET.get("show", "")
    results = []
    for run in runs:
        result = run.result if run.status == BacktestStatus.DONE else None
        students = []
        if result is not None:
            students = [s for s in result["students"] if not show or s["verdict"] == show]
        figures = []
        if result is not None:
            figures = [
                (key, label, result["counts"].get(key, 0)) for key, label in VERDICT_LABELS.items()
            ]
        results.append(
            {
                "run": run,
                "result": result,
                "figures": figures,
                "students": students,
                "frontier": frontier_geometry(result.get("sweep")) if result else None,
            }
        )
    waiting = any(run.status in (BacktestStatus.QUEUED, BacktestStatus.RUNNING) for run in runs)
    query = request.GET.copy()
    query.pop("show", None)
    return render(
        request,
        "alerts/lab.html",
        {
            "rule": rule,
            "form": form,
            "error": error,
            "results": results,
            "waiting": waiting,
            "show": show,
            "show_label": VERDICT_LABELS.get(show, ""),
            "base_query": query.urlencode(),
            "verdict_labels": VERDICT_LABELS,
            "outcome_labels": dict(OutcomeKind.choices),
        },
    )


class OutcomeImportForm(forms.Form):
    file = forms.FileField(label=_("Outcomes CSV (student_ref, outcome, date)"))
    dry_run = forms.BooleanField(label=_("Check only, write nothing"), required=False)


@login_required
def outcomes_import_page(request):
    schools = list(tenancy.schools_for(request.user, roles=tenancy.ADMIN_ROLES))
    code = request.POST.get("school") or request.GET.get("school")
    school = next((s for s in schools if s.code == code), schools[0] if schools else None)
    if school is None:
        raise Http404(gettext("No such page."))
    form = OutcomeImportForm(request.POST or None, request.FILES or None)
    report, refused = None, None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > 5 * 1024 * 1024:
                raise ImportRefused(
                    gettext("An outcomes file is at most 5 MB; nothing was written.")
                )
            report = services.outcomes_import(
                school=school,
                data=upload.read(),
                by=request.user,
                dry_run=form.cleaned_data["dry_run"],
            )
        except ImportRefused as e:
            refused = e
    return render(
        request,
        "alerts/lab_outcomes.html",
        {
            "school": school,
            "schools": schools,
            "form": form,
            "report": report,
            "refused": refused,
            "kinds": OutcomeKind.choices,
        },
    )
