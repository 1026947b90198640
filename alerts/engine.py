"""The evaluation engine: which students match which rules of a school on a date, and why.

Set-based: one evaluation reads the school's rules and its calendar (two queries), decides
in SQL who matches each rule (alerts/decision.py: one query per rule, the windows counted
where the rows are), then reads the rows of the matched students only (alerts/records.py), to build
their evidence with the pure functions of alerts/counting.py (the reference the SQL is tested
against). Whatever the number of students, the number of queries is the same. Nothing here
writes; alerts/services/evaluation.py acts on the result.

Dates: windows are blocks of school days on the school's calendar (schools/calendar.py),
counted back from the evaluation date, so holidays and closures are skipped. Rows dated on a
day that is not a school day are not counted: nobody is absent on a day the school was closed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from schools.models import School
from schools.signs import CONTEXT_SIGNS

from . import composite, counting, firing
from .models import RuleKind, WarningRule
from .records import Rows, events_for, load_rows, school_days_until

# How far back the engine looks to measure how long a pattern has persisted: 26 school weeks,
# the six-month line of WARNING_SIGNS.md.
PERSISTENCE_LOOKBACK_SCHOOL_DAYS = 130
# Context signs (bullying, setback, family strain) raise severity when recorded in the last
# 8 school weeks.
CONTEXT_SCHOOL_DAYS = 40


def spec_of(rule: WarningRule) -> counting.Spec:
    """The pure description of what `rule` matches (saved or not)."""
    threshold = rule.attendance_threshold
    return counting.Spec(
        kind=rule.kind,
        signs=frozenset(rule.signs or ()),
        count_unit=rule.count_unit,
        window_days=rule.window_days,
        min_events=rule.min_events_per_window,
        min_signs=rule.min_distinct_signs,
        min_observers=rule.min_distinct_observers,
        consecutive=rule.consecutive_windows,
        threshold=Fraction(str(threshold)) if threshold is not None else None,
    )


@dataclass(frozen=True)
class WindowEvidence:
    start: dt.date
    end: dt.date
    count: int
    observation_ids: tuple[int, ...]
    attendance_ids: tuple[int, ...]
    possible: int = 0  # attendance rules: possible sessions
    rate: float | None = None  # attendance rules: percent attended

    def as_json(self) -> dict:
        data = {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "count": self.count,
            "observations": list(self.observation_ids),
            "attendance": list(self.attendance_ids),
        }
        if self.rate is not None:
            data.update(possible=self.possible, rate=self.rate)
        return data


@dataclass(frozen=True)
class RuleMatch:
    """One student matching one rule on the evaluation date, with the evidence."""

    rule: WarningRule
    student_id: int
    windows: tuple[WindowEvidence, ...]  # oldest first
    signs: tuple[str, ...]
    observers: int
    persisted_since: dt.date

    @property
    def observation_ids(self) -> set[int]:
        return {i for w in self.windows for i in w.observation_ids}

    @property
    def attendance_ids(self) -> set[int]:
        return {i for w in self.windows for i in w.attendance_ids}

    def as_json(self) -> dict:
        return {
            "rule": self.rule.name,
            "rule_id": self.rule.pk,
            "version": self.rule.version,
            "kind": self.rule.kind,
            "signs": list(self.signs),
            "observers": self.observers,
            "persisted_since": self.persisted_since.isoformat(),
            "windows": [w.as_json() for w in self.windows],
        }


def hit_to_match(rule: WarningRule, hit: counting.Hit, rows: Rows) -> RuleMatch:
    days = rows.days
    windows = []
    for w in hit.windows:
        rate = w.rate if rule.kind == RuleKind.ATTENDANCE_RATE else None
        windows.append(
            WindowEvidence(
                start=days[w.start],
                end=days[w.end],
                count=w.count,
                observation_ids=tuple(sorted(i for kind, i in w.refs if kind == "observation")),
                attendance_ids=tuple(sorted(i for kind, i in w.refs if kind == "attendance")),
                possible=w.possible,
                rate=round(float(rate), 1) if rate is not None else None,
            )
        )
    return RuleMatch(
        rule=rule,
        student_id=hit.student,
        windows=tuple(windows),
        signs=tuple(sorted(hit.signs)),
        observers=len(hit.observers),
        persisted_since=days[hit.run_start],
    )


@dataclass
class Evaluation:
    school: School
    on_date: dt.date
    days: list[dt.date]
    matches: list[RuleMatch]
    # Context signs per student in the last CONTEXT_SCHOOL_DAYS school days.
    context: dict[int, set[str]]
    ref_dates: dict[tuple[str, int], dt.date]

    def by_student(self) -> dict[int, list[RuleMatch]]:
        grouped: dict[int, list[RuleMatch]] = defaultdict(list)
        for match in self.matches:
            grouped[match.student_id].append(match)
        return dict(grouped)


def days_needed(rules: Sequence[WarningRule]) -> int:
    """School days an evaluation of `rules` reads: their span and the persistence lookback."""
    span = max((r.span_days for r in rules), default=0)
    return max(span + PERSISTENCE_LOOKBACK_SCHOOL_DAYS, CONTEXT_SCHOOL_DAYS)


def evaluate(
    *,
    school: School,
    on_date: dt.date,
    rules: Sequence[WarningRule] | None = None,
    not_before: Mapping[int, dt.date] | None = None,
    students: Collection[int] | None = None,
    days: Sequence[dt.date] | None = None,
) -> Evaluation:
    """Each student of `school` matching each enabled rule on `on_date`, with evidence.

    `not_before` maps a student to a date on or before which their records do not count
    (the resolution date of their resolved case: only newer evidence may reopen it).
    `students`: only these (an incremental run); `days`: the school days up to `on_date`
    when the caller has read them (school_days_until with `days_needed(rules)`).

    Two passes, each a fixed number of queries: first the decision in SQL, one query per
    rule over the rules' own span (a few school weeks), for every student at once; then,
    for the students who matched only, their rows of the last 26 school weeks, read into
    Python to build the evidence (the records of each window), to measure how long each
    pattern has persisted and to find context signs. In all: rules (unless given), calendar
    (2), one query per rule and two for the evidence, whatever the number of students.
    """
    if rules is None:
        rules = list(WarningRule.objects.filter(school=school, enabled=True))
    # A composite rule is decided from its components' matches on the date: they are
    # counted with the plain rules (disabled ones too), and only the rules asked for answer.
    asked = [r for r in rules if r.kind != RuleKind.COMPOSITE]
    composites = [r for r in rules if r.kind == RuleKind.COMPOSITE]
    rules = asked + composite.extra_components(school=school, composites=composites, have=asked)
    if days is None or composites:
        days = school_days_until(school, on_date, days_needed(rules))
    days = list(days)
    signs = {s for r in rules for s in (r.signs or ())}
    register = any(_reads_register(r) for r in rules)
    # The students each rule matched (by position in `rules`), and all of them.
    matched_by_rule: list[set[int]] = [set() for _ in rules]
    if days and rules and (students is None or students):
        # The decision, in SQL (alerts/decision.py): one query per rule over the rules' own
        # span, every student of the school at once; only who matched comes back.
        for i, rule in enumerate(rules):
            matched_by_rule[i].update(
                firing.rule_firing(
                    school,
                    rule,
                    days,
                    first_end=len(days) - 1,
                    not_before=not_before,
                    students=students,
                )
            )
    matched: set[int] = set().union(*matched_by_rule)
    # The register only of the students matched by a rule that reads it.
    reads_register = [
        its for rule, its in zip(rules, matched_by_rule, strict=True) if _reads_register(rule)
    ]
    # The second pass, over the long span for the matched students only: the same windows
    # (so the same matches), now also measured back as far as they go.
    all_rows = load_rows(
        school,
        days,
        signs=signs | set(CONTEXT_SIGNS),
        register=register,
        students=matched,
        register_students=set().union(*reads_register),
    )
    rows = all_rows.without_before(not_before or {})
    matches: list[RuleMatch] = []
    if matched:
        last = len(days) - 1
        for rule, its_students in zip(rules, matched_by_rule, strict=True):
            # Each rule is counted again only for the students it matched in SQL: the same
            # windows give the same answer (tests/alerts/test_decision_properties.py), and
            # the count adds how far back the pattern runs and the records of each window.
            hits = counting.rule_hits(
                spec_of(rule),
                events=[e for e in events_for(rule, rows) if e.student in its_students],
                marks=[m for m in rows.marks if m.student in its_students],
                ends=[last],
                extend=True,
            )
            for student_hits in hits.values():
                matches.extend(hit_to_match(rule, h, rows) for h in student_hits)
    if composites:
        matches = composite.with_composite_matches(matches, composites=composites, asked=asked)
    return Evaluation(
        school=school,
        on_date=on_date,
        days=days,
        matches=sorted(matches, key=lambda m: (m.student_id, m.rule.pk or 0)),
        context=_context(all_rows),
        ref_dates=all_rows.ref_dates,
    )


def _reads_register(rule: WarningRule) -> bool:
    return rule.kind == RuleKind.ATTENDANCE_RATE or rule.use_register


def _context(rows: Rows) -> dict[int, set[str]]:
    """Context signs per student dated from the first of the last CONTEXT_SCHOOL_DAYS school
    days on (weekends and holidays in between included)."""
    if not rows.days:
        return {}
    first = rows.days[max(len(rows.days) - CONTEXT_SCHOOL_DAYS, 0)]
    context: dict[int, set[str]] = defaultdict(set)
    for student_id, on, sign in rows.context:
        if on >= first:
            context[student_id].add(sign)
    return dict(context)
