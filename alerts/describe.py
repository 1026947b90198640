"""A rule's condition in words, generated from its settings in the reader's language.

The stored `description` is what a school admin wrote, in whatever language they wrote it;
the summary here always matches the rule's current settings and speaks the page's language.
Default rules' names and stock descriptions (alerts/defaults.py) are translated on display
as long as the school has not changed them.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from schools.signs import SIGNS, Sign

from .defaults import DEFAULT_RULES
from .models import CountUnit, RuleKind, WarningRule

# The English text of the default rules, which the catalogues translate (see defaults.py).
_STOCK_TEXT = frozenset(
    text for rule in DEFAULT_RULES for text in (rule["name"], rule["description"]) if text
)
_REGISTER_SIGNS = {Sign.LATE.value, Sign.ABSENCE.value}


def stock_text(text: str) -> str:
    """`text` in the reader's language when it is a default rule's own name or description;
    anything a school wrote itself is shown as written."""
    return _(text) if text in _STOCK_TEXT else text


def own_text(text: str) -> str:
    """`text` when a school wrote it; empty for a default rule's stock text, which the
    generated summary (rule_summary) already says in the reader's language."""
    return "" if text in _STOCK_TEXT else text


def rule_note(rule: WarningRule) -> str:
    """The admin's own description of `rule`, if they wrote one."""
    return own_text(rule.description or "")


def _signs(codes) -> str:
    labels = [_("“%(sign)s”") % {"sign": SIGNS[c].label} for c in codes if c in SIGNS]
    return _(", ").join(labels)


def rule_summary(rule: WarningRule) -> str:
    """What `rule` checks, in a few short sentences."""
    n = rule.min_events_per_window
    sentences = []
    if rule.kind == RuleKind.ATTENDANCE_RATE:
        sentences.append(
            _("Attendance below %(threshold)s%% of possible sessions in a window.")
            % {"threshold": f"{float(rule.attendance_threshold or 0):g}"}
        )
    elif rule.count_unit == CountUnit.DAYS:
        sentences.append(
            ngettext(
                "At least %(count)s school day with %(signs)s in a window.",
                "At least %(count)s school days with %(signs)s in a window.",
                n,
            )
            % {"count": n, "signs": _signs(rule.signs)}
        )
    else:
        sentences.append(
            ngettext(
                "At least %(count)s observation of %(signs)s in a window.",
                "At least %(count)s observations of %(signs)s in a window.",
                n,
            )
            % {"count": n, "signs": _signs(rule.signs)}
        )
    k = rule.consecutive_windows
    sentences.append(
        ngettext(
            "It must hold in %(count)s window.",
            "It must hold in each of %(count)s windows in a row.",
            k,
        )
        % {"count": k}
    )
    w = rule.window_days
    if w == 5:
        sentences.append(_("A window is a school week (5 school days)."))
    else:
        sentences.append(
            ngettext("A window is %(count)s school day.", "A window is %(count)s school days.", w)
            % {"count": w}
        )
    if rule.kind == RuleKind.SIGN_PATTERN:
        if rule.min_distinct_signs > 1:
            sentences.append(
                _("At least %(count)s different signs over the whole span.")
                % {"count": rule.min_distinct_signs}
            )
        if rule.min_distinct_observers > 1:
            sentences.append(
                _("Seen by at least %(count)s different members of staff.")
                % {"count": rule.min_distinct_observers}
            )
        if rule.use_register and _REGISTER_SIGNS & set(rule.signs or ()):
            sentences.append(_("Late marks and absences in the register count too."))
    return " ".join(sentences)
