"""The rules pages of school admins: the list, an edit with its live preview, on/off."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from schools import tenancy
from schools.tenancy import ADMIN_ROLES, current_school, with_school

from .. import selectors, services
from ..forms import RuleForm
from ..models import WarningRule


@login_required
def rules(request):
    school = current_school(request, ADMIN_ROLES)
    rules = selectors.rules_visible_to(request.user).filter(school=school).order_by("name")
    return render(
        request,
        "alerts/rules.html",
        {
            "school": school,
            "schools": list(tenancy.schools_for(request.user, roles=ADMIN_ROLES)),
            "rules": rules,
        },
    )


@login_required
def rule_edit(request, pk: int):
    rule = get_object_or_404(selectors.rules_visible_to(request.user), pk=pk)
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
    rule = get_object_or_404(selectors.rules_visible_to(request.user), pk=pk)
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
    rule = get_object_or_404(selectors.rules_visible_to(request.user), pk=pk)
    form = RuleForm(request.POST, instance=WarningRule.objects.get(pk=rule.pk))
    if not form.is_valid():
        return JsonResponse(
            {"ok": False, "errors": {k: [str(e) for e in v] for k, v in form.errors.items()}},
            status=400,
        )
    return JsonResponse({"ok": True, **selectors.rule_preview_data(rule=form.instance)})
