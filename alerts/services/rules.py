"""Writes to warning-sign rules: the defaults of a new school, a new rule, an edit (a new
version)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import F

from core.audit import audit_record
from core.models import User
from schools.models import School

from ..defaults import DEFAULT_RULES
from ..models import WarningRule
from ..rule_text import NEUTRAL, rule_normalise

# Fields whose change makes a new version of a rule (anything that changes what it matches,
# or how a case it opens is rated).
RULE_EDITABLE_FIELDS = (
    "name",
    "description",
    "enabled",
    "kind",
    "signs",
    "count_unit",
    "use_register",
    "window_days",
    "min_events_per_window",
    "min_distinct_signs",
    "min_distinct_observers",
    "consecutive_windows",
    "attendance_threshold",
    "components",
    "min_components",
    "severity",
)


def rules_install_defaults(*, school: School) -> list[WarningRule]:
    """Give `school` each default rule it does not have yet (by key); never touches a rule
    the school already has, so it is safe to call again."""
    have = set(WarningRule.objects.filter(school=school).values_list("key", flat=True))
    new = [
        rule_normalise(WarningRule(school=school, **spec))
        for spec in DEFAULT_RULES
        if spec["key"] not in have
    ]
    # ignore_conflicts: two processes creating the same school's rules at once both succeed.
    WarningRule.objects.bulk_create(new, ignore_conflicts=True)
    return new


def rule_create(*, school: School, by: User, **fields: Any) -> WarningRule:
    """Add a rule to `school`, validated like the admin form; version 1. Its description is
    generated from its settings (alerts.rule_text), whatever `fields` say."""
    rule = rule_normalise(WarningRule(school=school, updated_by=by, **fields))
    rule.full_clean()
    with transaction.atomic():
        rule.save()
        audit_record(actor=by, action="rule.create", obj=rule, school_id=school.pk)
    return rule


def rule_update(*, rule: WarningRule, by: User, fields: Iterable[str] | None = None) -> WarningRule:
    """Save the edited `rule` and raise its version by one (in the database, so two edits
    at once make two versions). Nothing changed: nothing is saved and the version stays.
    The description is made anew from the settings, and the fields that do not apply to the
    rule's kind are reset, so neither can drift from what the rule checks."""
    rule_normalise(rule)
    wanted = set(RULE_EDITABLE_FIELDS if fields is None else fields)
    wanted |= {"description", *NEUTRAL.get(rule.kind, {})}
    current = WarningRule.objects.get(pk=rule.pk)
    changed = [
        f for f in RULE_EDITABLE_FIELDS if f in wanted and getattr(current, f) != getattr(rule, f)
    ]
    if not changed:
        return rule
    rule.full_clean()
    rule.updated_by = by
    with transaction.atomic():
        rule.save(update_fields=[*changed, "updated_by", "updated_at"])
        WarningRule.objects.filter(pk=rule.pk).update(version=F("version") + 1)
        rule.refresh_from_db(fields=["version"])
        audit_record(
            actor=by,
            action="rule.update",
            obj=rule,
            school_id=rule.school_id,
            detail={"fields": sorted(changed), "version": rule.version},
        )
    return rule
