"""The rules pages of school admins: the list, a new rule built from the pages, an edit, both
with the live preview and the description generated from the settings, and on/off."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from schools import tenancy
from schools.tenancy import ADMIN_ROLES, current_school, with_school

from .. import selectors, services
from ..forms import RuleForm
from ..models import RuleKind, WarningRule
from ..rule_text import rule_describe, stock_text

# What a new rule starts from: the shape of the documented withdrawal rule, with no sign
# chosen yet, and switched off until the admin has seen its preview.
NEW_RULE_DEFAULTS = {
    "enabled": False,
    "kind": RuleKind.SIGN_PATTERN,
    "signs": [],
    "window_days": 5,
    "consecutive_windows": 3,
    "min_events_per_window": 2,
    "min_distinct_signs": 1,
    "min_distinct_observers": 1,
    "use_register": False,
}


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
            messages.success(
                request,
                _("Saved: %(name)s is now version %(version)s.")
                % {"name": stock_text(saved.name), "version": saved.version},
            )
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
    text = (
        _("%(name)s is enabled (version %(version)s).")
        if rule.enabled
        else _("%(name)s is disabled (version %(version)s).")
    )
    messages.success(request, text % {"name": stock_text(rule.name), "version": rule.version})
    return redirect(with_school(reverse("rules"), rule.school, request))


@login_required
@require_POST
def rule_preview(request, pk: int):
    """What the rule as edited on the page (not yet saved) would flag today, and its
    description as the settings make it, as JSON for the page's preview script. Validated
    by the same form that saves it."""
    rule = get_object_or_404(selectors.rules_visible_to(request.user), pk=pk)
    form = RuleForm(request.POST, instance=WarningRule.objects.get(pk=rule.pk))
    return _preview_answer(request, form)


def _preview_answer(request, form: RuleForm) -> JsonResponse:
    if not form.is_valid():
        return JsonResponse(
            {"ok": False, "errors": {k: [str(e) for e in v] for k, v in form.errors.items()}},
            status=400,
        )
    return JsonResponse(
        {"ok": True, **selectors.rule_preview_data(rule=form.instance, by=request.user)}
    )


@login_required
def rule_new(request):
    school = current_school(request, ADMIN_ROLES)
    form = RuleForm(
        request.POST or None,
        instance=WarningRule(school=school, **NEW_RULE_DEFAULTS),
    )
    if request.method == "POST" and form.is_valid():
        fields = {name: getattr(form.instance, name) for name in services.RULE_EDITABLE_FIELDS}
        try:
            rule = services.rule_create(school=school, by=request.user, **fields)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            message = (
                _("Rule %(name)s created (enabled).")
                if rule.enabled
                else _("Rule %(name)s created (saved, not enabled yet).")
            )
            messages.success(request, message % {"name": rule.name})
            return redirect("rule-edit", pk=rule.pk)
    return render(
        request,
        "alerts/rule_new.html",
        {
            "school": school,
            "schools": list(tenancy.schools_for(request.user, roles=ADMIN_ROLES)),
            "form": form,
            "description": rule_describe(form.instance),
        },
    )


@login_required
@require_POST
def rule_new_preview(request):
    """The preview of the rule being built (nothing saved), as JSON for the page's script."""
    school = current_school(request, ADMIN_ROLES)
    form = RuleForm(request.POST, instance=WarningRule(school=school, **NEW_RULE_DEFAULTS))
    return _preview_answer(request, form)
