"""What the matches of one student say: since when the pattern has persisted, the stage it
has reached (the documented three- and six-month lines) and the severity of a case."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .. import engine
from ..models import Severity, Stage, severity_rank, severity_step_up

PRE_WITHDRAWAL_MONTHS = 3
PERSISTENT_MONTHS = 6


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def stage_for(persisted_since: dt.date, on_date: dt.date) -> str:
    """The stage of a pattern that has persisted from `persisted_since` to `on_date`: the
    documented three- and six-month lines (WARNING_SIGNS.md)."""
    if add_months(persisted_since, PERSISTENT_MONTHS) <= on_date:
        return Stage.PERSISTENT
    if add_months(persisted_since, PRE_WITHDRAWAL_MONTHS) <= on_date:
        return Stage.PRE_WITHDRAWAL
    return Stage.WATCH


def severity_for(rule_severities: Iterable[str], stage: str, context: Iterable[str]) -> str:
    """The highest severity of the rules that fired, raised to high at pre-withdrawal and to
    critical when persistent, then one step higher with a context sign in the last 8 weeks."""
    severity = max(rule_severities, key=severity_rank, default=Severity.LOW)
    floors: dict[str, str] = {
        Stage.PRE_WITHDRAWAL: Severity.HIGH,
        Stage.PERSISTENT: Severity.CRITICAL,
    }
    floor = floors.get(stage)
    if floor and severity_rank(floor) > severity_rank(severity):
        severity = floor
    if any(True for _ in context):
        severity = severity_step_up(severity)
    return severity


def higher(old: str, new: str, rank: Callable[[str], int]) -> str:
    return new if rank(new) > rank(old) else old


@dataclass
class Assessment:
    """What the matches of one student say, before comparing with their case."""

    matches: list[engine.RuleMatch]
    persisted_since: dt.date
    first_evidence_on: dt.date
    last_evidence_on: dt.date
    stage: str
    severity: str
    context: list[str]
    evidence: dict[str, Any]
    ref_dates: dict[tuple[str, int], dt.date]

    def refs(self) -> dict[tuple[str, int], tuple[engine.RuleMatch, engine.WindowEvidence]]:
        found: dict[tuple[str, int], tuple[engine.RuleMatch, engine.WindowEvidence]] = {}
        for match in self.matches:
            for window in match.windows:
                for i in window.observation_ids:
                    found.setdefault(("observation", i), (match, window))
                for i in window.attendance_ids:
                    found.setdefault(("attendance", i), (match, window))
        return found


def assess(matches: list[engine.RuleMatch], context: set[str], ev: engine.Evaluation) -> Assessment:
    persisted_since = min(m.persisted_since for m in matches)
    dates = [ev.ref_dates[ref] for m in matches for ref in _match_refs(m)]
    # A firing rule always has records in its windows (an attendance window below its
    # threshold holds at least one absence); the window dates are only a safety net.
    dates = dates or [w.start for m in matches for w in m.windows]
    stage = stage_for(persisted_since, ev.on_date)
    return Assessment(
        matches=matches,
        persisted_since=persisted_since,
        first_evidence_on=min(dates),
        last_evidence_on=max(dates),
        stage=stage,
        severity=severity_for((m.rule.severity for m in matches), stage, context),
        context=sorted(context),
        evidence={str(m.rule.pk): m.as_json() for m in matches},
        ref_dates=ev.ref_dates,
    )


def _match_refs(match: engine.RuleMatch) -> Iterator[tuple[str, int]]:
    for i in match.observation_ids:
        yield ("observation", i)
    for i in match.attendance_ids:
        yield ("attendance", i)
