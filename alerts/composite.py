"""Composite rules: a rule that fires on a school day when other rules of the school fire on
that same day, all of them or at least `min_components` of them.

A component fires over its own windows ending on that day, so two components with the same
window length and number of windows (the usual case: school weeks) hold in the very same
windows; that is what lets register absences and teachers' observations corroborate each
other. The components are counted whether they are enabled or not: a school can switch the
parts off and let only the composite open cases. docs/RULES.md says when to use one.

The combining is plain Python over what alerts/engine.py computed for the components (their
firing days, or their matches on an evaluation date); nothing here counts windows itself.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from .models import RuleKind, WarningRule

if TYPE_CHECKING:
    from schools.models import School

    from .engine import RuleMatch


def components_of(rule: WarningRule) -> list[WarningRule]:
    """The component rules of a composite `rule`, in the order it names them (one query).
    Only rules of the rule's own school count; a composite never nests another."""
    ids = [i for i in (rule.components or ()) if isinstance(i, int)]
    found = {
        r.pk: r
        for r in WarningRule.objects.filter(pk__in=ids, school_id=rule.school_id).exclude(
            kind=RuleKind.COMPOSITE
        )
    }
    return [found[i] for i in ids if i in found]


def extra_components(
    *, school: School, composites: Sequence[WarningRule], have: Iterable[WarningRule]
) -> list[WarningRule]:
    """The components of `composites` that are not among `have` (one query, none without a
    composite), so an evaluation can count them alongside the rules it was asked for."""
    known = {r.pk for r in have if r.pk is not None}
    wanted = {i for c in composites for i in (c.components or ()) if isinstance(i, int)} - known
    if not wanted:
        return []
    return list(
        WarningRule.objects.filter(pk__in=wanted, school=school).exclude(kind=RuleKind.COMPOSITE)
    )


def fired_together(fired: Sequence[Mapping[int, Sequence[int]]], *, needed: int) -> dict:
    """Per student, the day indices on which at least `needed` of the components fired,
    given each component's firing days per student."""
    counts: dict[int, Counter] = defaultdict(Counter)
    for component in fired:
        for student_id, days in component.items():
            counts[student_id].update(set(days))
    result = {}
    for student_id, per_day in counts.items():
        days = sorted(d for d, n in per_day.items() if n >= needed)
        if days:
            result[student_id] = days
    return result


def with_composite_matches(
    matches: Sequence[RuleMatch],
    *,
    composites: Sequence[WarningRule],
    asked: Sequence[WarningRule],
) -> list[RuleMatch]:
    """The matches of the rules asked for, plus one per student for each composite whose
    components match together: its evidence is theirs (windows, signs), and its pattern has
    persisted since the latest of theirs began (since when they have held together)."""
    from .engine import RuleMatch

    asked_ids = {id(r) for r in asked}
    by_student: dict[int, dict[int, RuleMatch]] = defaultdict(dict)
    for match in matches:
        if match.rule.pk is not None:
            by_student[match.student_id][match.rule.pk] = match
    result = [m for m in matches if id(m.rule) in asked_ids]
    for rule in composites:
        needed = rule.needed_components
        for student_id, found in by_student.items():
            parts = [found[i] for i in rule.components if i in found]
            if not parts or len(parts) < needed:
                continue
            windows = sorted({w for m in parts for w in m.windows}, key=lambda w: (w.start, w.end))
            result.append(
                RuleMatch(
                    rule=rule,
                    student_id=student_id,
                    windows=tuple(windows),
                    signs=tuple(sorted({s for m in parts for s in m.signs})),
                    observers=max(m.observers for m in parts),
                    persisted_since=max(m.persisted_since for m in parts),
                )
            )
    return result
