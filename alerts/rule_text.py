"""A rule's plain-language description, generated from its settings.

The description a school admin reads is made from the very fields the evaluation uses, so it
cannot drift from them: change "members of staff" from two to one and the sentence changes
with it. Which fields apply to which kind of rule is said here once too (`KIND_FIELDS`): the
rule builder shows only those, and `rule_normalise` resets the others to their neutral value.
"""

from __future__ import annotations

from typing import Any

from schools.signs import SIGNS

from .models import CountUnit, RuleKind, WarningRule

# Only plain fields are read here (no model method), so the migration that rewrote the stored
# descriptions could use it on historical rows.

# Fields every rule has, then the fields of each kind.
COMMON_FIELDS = ("name", "enabled", "kind", "window_days", "consecutive_windows", "severity")
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    RuleKind.SIGN_PATTERN: (
        "signs",
        "count_unit",
        "use_register",
        "min_events_per_window",
        "min_distinct_signs",
        "min_distinct_observers",
    ),
    RuleKind.ATTENDANCE_RATE: ("attendance_threshold",),
    RuleKind.COMPOSITE: ("components", "min_components"),
}

# What a field that does not apply to a kind is set to (the value that changes nothing).
_NO_SIGNS: dict[str, Any] = {
    "signs": [],
    "count_unit": CountUnit.OBSERVATIONS,
    "use_register": True,
    "min_events_per_window": 1,
    "min_distinct_signs": 0,
    "min_distinct_observers": 0,
}
_NO_COMPONENTS: dict[str, Any] = {"components": [], "min_components": None}
NEUTRAL: dict[str, dict[str, Any]] = {
    RuleKind.ATTENDANCE_RATE: {**_NO_SIGNS, **_NO_COMPONENTS},
    RuleKind.SIGN_PATTERN: {"attendance_threshold": None, **_NO_COMPONENTS},
    RuleKind.COMPOSITE: {**_NO_SIGNS, "attendance_threshold": None},
}

SCHOOL_WEEK = 5


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _windows(rule: WarningRule) -> str:
    n, days = rule.consecutive_windows, rule.window_days
    if days == SCHOOL_WEEK:
        return "in the last school week" if n == 1 else f"in each of {n} school weeks in a row"
    block = _n(days, "school day", "school days")
    return f"in the last {block}" if n == 1 else f"in each of {n} blocks of {block} in a row"


def _span(rule: WarningRule) -> str:
    if rule.consecutive_windows == 1:
        return "over that span"
    if rule.window_days == SCHOOL_WEEK:
        return f"over the {rule.consecutive_windows} weeks"
    return f"over the {rule.window_days * rule.consecutive_windows} school days"


def rule_describe(rule: WarningRule) -> str:
    """One or two sentences saying when `rule` fires, made from its settings only."""
    if rule.kind == RuleKind.COMPOSITE:
        return _composite_describe(rule)
    when = f"Fires when, {_windows(rule)}"
    if rule.kind == RuleKind.ATTENDANCE_RATE:
        threshold = rule.attendance_threshold
        pct = f"{float(threshold):g}" if threshold is not None else "?"
        return (
            f"{when}, the student attended fewer than {pct}% of the possible sessions. "
            "Register marks count; a session marked not required is left out."
        )
    labels = [SIGNS[c].label for c in rule.signs or () if c in SIGNS]
    signs = f"({', '.join(labels)})" if labels else "(none chosen yet)"
    per = rule.min_events_per_window
    if rule.count_unit == CountUnit.DAYS:
        counted = f"there are at least {_n(per, 'day', 'days')} with one of the signs it counts"
    else:
        counted = (
            f"there are at least {_n(per, 'observation', 'observations')} of the signs it counts"
        )
    parts = [f"{when}, {counted} {signs}"]
    if rule.min_distinct_signs > 1:
        parts.append(f"with at least {rule.min_distinct_signs} different signs {_span(rule)}")
    if rule.min_distinct_observers > 1:
        parts.append(f"seen by at least {rule.min_distinct_observers} members of staff")
    sentence = ", ".join(parts) + "."
    if rule.use_register:
        register = [
            name
            for code, name in (("LATE", "late marks"), ("ABSENCE", "absences"))
            if code in (rule.signs or ())
        ]
        if register:
            names = " and ".join(register)
            sentence += f" {names[0].upper()}{names[1:]} in the register count."
    return sentence


def rule_normalise(rule: WarningRule) -> WarningRule:
    """Set the fields that do not apply to the rule's kind to their neutral value, and its
    description to the one generated from its settings. Returns the same instance."""
    for name, value in NEUTRAL.get(rule.kind, {}).items():
        setattr(rule, name, value)
    rule.description = rule_describe(rule)
    return rule


def _composite_describe(rule: WarningRule) -> str:
    ids = [i for i in (rule.components or ()) if isinstance(i, int)]
    names = dict(
        type(rule).objects.filter(pk__in=ids, school_id=rule.school_id).values_list("pk", "name")
    )
    parts = [f"“{names[i]}”" for i in ids if i in names] or ["(none chosen yet)"]
    needed = rule.min_components
    if needed and needed < len(ids):
        which = f"at least {needed} of these rules"
    else:
        which = "all of these rules"
    return (
        f"Fires on a school day when {which} fire on that same day, each over its own "
        f"windows: {', '.join(parts)}."
    )
