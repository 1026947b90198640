"""A rule's plain-language description, generated from its settings.

The description a school admin reads is made from the very fields the evaluation uses, so it
cannot drift from them: change "members of staff" from two to one and the sentence changes
with it. It is written in the active language (`rule_describe`): the pages show it in the
reader's. The copy stored in the rule's `description` (API, admin) is always the English one
(`rule_normalise`). A default rule's name is translated on display while the school has not
renamed it (`stock_text`). Which fields apply to which kind of rule is said here once too
(`KIND_FIELDS`): the rule builder shows only those, and `rule_normalise` resets the others to
their neutral value.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from schools.signs import SIGNS

from .defaults import DEFAULT_RULES
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

# The English names of the default rules, which the catalogues translate (see defaults.py).
_STOCK_TEXT = frozenset(rule["name"] for rule in DEFAULT_RULES if rule["name"])


def stock_text(text: str) -> str:
    """`text` in the reader's language when it is a default rule's own name; a name a school
    gave is shown as written."""
    return _(text) if text in _STOCK_TEXT else text


def _windows(rule: WarningRule) -> str:
    n, days = rule.consecutive_windows, rule.window_days
    if days == SCHOOL_WEEK:
        if n == 1:
            return _("in the last school week")
        return _("in each of %(count)s school weeks in a row") % {"count": n}
    block = ngettext("%(count)s school day", "%(count)s school days", days) % {"count": days}
    if n == 1:
        return _("in the last %(block)s") % {"block": block}
    return _("in each of %(count)s blocks of %(block)s in a row") % {"count": n, "block": block}


def _span(rule: WarningRule) -> str:
    if rule.consecutive_windows == 1:
        return _("over that span")
    if rule.window_days == SCHOOL_WEEK:
        return _("over the %(count)s weeks") % {"count": rule.consecutive_windows}
    return _("over the %(count)s school days") % {
        "count": rule.window_days * rule.consecutive_windows
    }


def rule_describe(rule: WarningRule) -> str:
    """One or two sentences saying when `rule` fires, made from its settings only, in the
    active language."""
    if rule.kind == RuleKind.COMPOSITE:
        return _composite_describe(rule)
    windows = _windows(rule)
    if rule.kind == RuleKind.ATTENDANCE_RATE:
        threshold = rule.attendance_threshold
        pct = f"{float(threshold):g}" if threshold is not None else "?"
        return _(
            "Fires when, %(windows)s, the student attended fewer than %(percent)s%% of the "
            "possible sessions. Register marks count; a session marked not required is left out."
        ) % {"windows": windows, "percent": pct}
    labels = [str(SIGNS[c].label) for c in rule.signs or () if c in SIGNS]
    signs = _("(%(signs)s)") % {"signs": _(", ").join(labels)} if labels else _("(none chosen yet)")
    per = rule.min_events_per_window
    if rule.count_unit == CountUnit.DAYS:
        counted = ngettext(
            "there are at least %(count)s day with one of the signs it counts",
            "there are at least %(count)s days with one of the signs it counts",
            per,
        ) % {"count": per}
    else:
        counted = ngettext(
            "there are at least %(count)s observation of the signs it counts",
            "there are at least %(count)s observations of the signs it counts",
            per,
        ) % {"count": per}
    parts = [
        _("Fires when, %(windows)s, %(counted)s %(signs)s")
        % {"windows": windows, "counted": counted, "signs": signs}
    ]
    if rule.min_distinct_signs > 1:
        parts.append(
            _("with at least %(count)s different signs %(span)s")
            % {"count": rule.min_distinct_signs, "span": _span(rule)}
        )
    if rule.min_distinct_observers > 1:
        parts.append(
            _("seen by at least %(count)s members of staff")
            % {"count": rule.min_distinct_observers}
        )
    sentence = pgettext("end of a sentence", "%(sentence)s.") % {"sentence": _(", ").join(parts)}
    if rule.use_register:
        codes = set(rule.signs or ())
        late, absent = "LATE" in codes, "ABSENCE" in codes
        if late and absent:
            sentence += " " + _("Late marks and absences in the register count.")
        elif late:
            sentence += " " + _("Late marks in the register count.")
        elif absent:
            sentence += " " + _("Absences in the register count.")
    return sentence


def rule_stored_description(rule: WarningRule) -> str:
    """The description kept in the rule's `description`: always in the source language, so
    what is stored does not depend on who saved the rule."""
    with translation.override(settings.LANGUAGE_CODE):
        return rule_describe(rule)


def rule_normalise(rule: WarningRule) -> WarningRule:
    """Set the fields that do not apply to the rule's kind to their neutral value, and its
    description to the one generated from its settings. Returns the same instance."""
    for name, value in NEUTRAL.get(rule.kind, {}).items():
        setattr(rule, name, value)
    rule.description = rule_stored_description(rule)
    return rule


def _composite_describe(rule: WarningRule) -> str:
    ids = [i for i in (rule.components or ()) if isinstance(i, int)]
    names = dict(
        type(rule).objects.filter(pk__in=ids, school_id=rule.school_id).values_list("pk", "name")
    )
    parts = [_("“%(rule)s”") % {"rule": stock_text(names[i])} for i in ids if i in names]
    needed = rule.min_components
    if needed and needed < len(ids):
        which = _("at least %(count)s of these rules") % {"count": needed}
    else:
        which = _("all of these rules")
    return _(
        "Fires on a school day when %(which)s fire on that same day, each over its own "
        "windows: %(rules)s."
    ) % {"which": which, "rules": _(", ").join(parts) if parts else _("(none chosen yet)")}
