"""The rule lab's backtest: how a rule would have done over a past period, against what
really happened to the students.

The evaluation is replayed as the nightly job would have run it, day by day over the period
(alerts.firing.preview: each student's first firing date, one pass over the rows), and joined
with the students' outcomes (alerts.outcomes). A student with a positive outcome (concern
confirmed, referral to a mental-health professional, left the school) flagged at least
`min_lead_weeks` school weeks before its date is a true positive; flagged later, or not at
all, missed. A flagged student whose outcome is negative (no concern found) is a false
positive; one with no outcome (or "other") is counted apart and in neither. Precision is
TP / (TP + FP), recall TP / (TP + missed), the lead is counted in school weeks on the
school's calendar (the figures: alerts.backtest_score). docs/RULES.md explains how to read
them and choose a rule.

Kept runs (a result per rule version, period and settings, queued for the worker for a large
school) are alerts.backtest_runs.
"""

from __future__ import annotations

import bisect
import copy
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from schools.calendar import school_days_between
from schools.models import School, Student

from . import firing
from .backtest_score import FALSE_POSITIVE, MISSED, TRUE_POSITIVE, score
from .models import (
    NEGATIVE_OUTCOMES,
    POSITIVE_OUTCOMES,
    Outcome,
    RuleKind,
    WarningRule,
)
from .records import school_days_until

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

log = logging.getLogger(__name__)

# The longest period one backtest replays: two school years.
MAX_PERIOD_SCHOOL_DAYS = 400

# The parameters a sweep can move, with the values it tries unless told (10 points each).
SWEEPS: dict[str, tuple[StrOrPromise, tuple]] = {
    "consecutive_windows": (gettext_lazy("Persistence: windows in a row"), tuple(range(1, 11))),
    "min_events_per_window": (gettext_lazy("Minimum events per window"), tuple(range(1, 11))),
    "attendance_threshold": (
        gettext_lazy("Attendance threshold (%)"),
        tuple(Decimal(v) for v in range(50, 100, 5)),
    ),
}
MAX_SWEEP_POINTS = 12


# The rule's fields that decide what it matches: what a backtest measured.
MEASURED_FIELDS = (
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
)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date


def period_check(*, school: School, start: dt.date, end: dt.date) -> Period:
    """A past period of the school's calendar: `start` on or before `end`, `end` not after
    today at the school, at most MAX_PERIOD_SCHOOL_DAYS school days, and at least one."""
    if start > end:
        raise ValidationError({"start": _("The period starts after it ends.")})
    if end > school.today():
        raise ValidationError(
            {
                "end": _("%(day)s is in the future at the school: a backtest looks back.")
                % {"day": end.isoformat()}
            }
        )
    days = school_days_between(school, start, end)
    if not days:
        raise ValidationError({"start": _("There is no school day in this period.")})
    if len(days) > MAX_PERIOD_SCHOOL_DAYS:
        raise ValidationError(
            {
                "start": _("At most %(n)s school days (two school years).")
                % {"n": MAX_PERIOD_SCHOOL_DAYS}
            }
        )
    return Period(start, end)


def student_outcomes(*, school: School, since: dt.date) -> dict[int, tuple[str, dt.date]]:
    """Per student of `school`, the outcome a backtest from `since` judges by: the earliest
    positive outcome dated on or after `since`, else the earliest negative one. "Other" says
    nothing either way and is left out. One query."""
    found: dict[int, tuple[str, dt.date]] = {}
    rows = (
        Outcome.objects.filter(student__school=school, on_date__gte=since)
        .filter(kind__in=[*POSITIVE_OUTCOMES, *NEGATIVE_OUTCOMES])
        .order_by("on_date", "id")
        .values_list("student_id", "kind", "on_date")
    )
    for student_id, kind, on_date in rows:
        have = found.get(student_id)
        if have is None or (kind in POSITIVE_OUTCOMES and have[0] not in POSITIVE_OUTCOMES):
            found[student_id] = (kind, on_date)
    return found


def students_on_roll(*, school: School, start: dt.date) -> dict[int, str]:
    """The students on roll on some day from `start` on (active, or left on or after it),
    by id with their codes. One query."""
    return dict(
        Student.objects.filter(school=school)
        .filter(Q(left_on__isnull=True, is_active=True) | Q(left_on__gte=start))
        .values_list("pk", "code")
    )


def rule_as_measured(rule: WarningRule) -> dict:
    data = {f: getattr(rule, f) for f in MEASURED_FIELDS}
    if data["attendance_threshold"] is not None:
        data["attendance_threshold"] = str(Decimal(data["attendance_threshold"]).normalize())
    data["signs"] = sorted(data["signs"] or ())
    return {"id": rule.pk, "name": rule.name, "version": rule.version, **data}


@dataclass
class _Context:
    """What every point of one backtest shares: read once."""

    period: Period
    outcomes: dict[int, tuple[str, dt.date]]
    students: dict[int, str]
    calendar: list[dt.date]
    period_days: int


def _context(*, school: School, period: Period) -> _Context:
    outcomes = student_outcomes(school=school, since=period.start)
    last = max([period.end, *(d for _k, d in outcomes.values())])
    calendar = school_days_between(school, period.start, last)
    period_days = bisect.bisect_right(calendar, period.end)
    return _Context(
        period=period,
        outcomes=outcomes,
        students=students_on_roll(school=school, start=period.start),
        calendar=calendar,
        period_days=period_days,
    )


def _measure(
    *,
    rule: WarningRule,
    ctx: _Context,
    min_lead_weeks: int,
    first_fired: dict[int, dt.date] | None = None,
) -> dict:
    if first_fired is None:
        days, rows = firing.preview(
            school=rule.school,
            rule=rule,
            on_date=ctx.period.end,
            history_school_days=ctx.period_days,
        )
        first_fired = {sid: row.first_fired_on for sid, row in rows.items()}
    else:
        days = ctx.calendar[: ctx.period_days]
    result = score(
        first_fired=first_fired,
        outcomes=ctx.outcomes,
        students=ctx.students,
        calendar=ctx.calendar,
        min_lead_weeks=min_lead_weeks,
    )
    result["days_read"] = {
        "first_day": days[0].isoformat() if days else None,
        "last_day": days[-1].isoformat() if days else None,
        "school_days": len(days),
    }
    return result


def first_firings_by_persistence(
    *, rule: WarningRule, ctx: _Context, values: Sequence[int]
) -> dict[int, dict[int, dt.date]] | None:
    """Each student's first firing date in the period for each number of windows in a row
    in `values`, from one counting pass instead of one per value; None when the rule is not
    one for which that is exact.

    A rule fires at a day with N windows when the window ending there and the N - 1 before
    it, back to back, each meet the per-window condition, and the span conditions hold
    (alerts/counting.py). Where the span conditions cannot fail once each window holds (an
    attendance rule; a sign rule asking at most 1 distinct sign and 1 distinct member of
    staff: a window that holds has a record, and every record has a sign and a witness),
    the rule with N windows fires exactly where the one-window rule fires at that day and at
    each window's end before it. tests/lab/test_backtest.py checks this against measuring
    each value apart."""
    if rule.kind == RuleKind.COMPOSITE or (
        rule.kind == RuleKind.SIGN_PATTERN
        and (rule.min_distinct_signs > 1 or rule.min_distinct_observers > 1)
    ):
        return None
    width, top, n = rule.window_days, max(values), ctx.period_days
    days = school_days_until(rule.school, ctx.period.end, n + top * width)
    first_end = max(len(days) - n, 0)
    single = copy.copy(rule)
    single.consecutive_windows = 1
    holds = firing.firing_days(
        school=rule.school,
        rule=single,
        days=days,
        first_end=max(first_end - (top - 1) * width, 0),
    )
    found: dict[int, dict[int, dt.date]] = {}
    for windows in values:
        firsts = {}
        for student_id, ends in holds.items():
            held = set(ends)
            for end in ends:
                if end >= first_end and all(end - k * width in held for k in range(windows)):
                    firsts[student_id] = days[end]
                    break
        found[windows] = firsts
    return found


def sweep_values(*, parameter: str, values: Sequence | None) -> list:
    if parameter not in SWEEPS:
        raise ValidationError(
            {
                "sweep": _("Sweep one of: %(names)s (threshold, persistence, events).")
                % {"names": ", ".join(SWEEPS)}
            }
        )
    chosen = list(values) if values else list(SWEEPS[parameter][1])
    if not chosen or len(chosen) > MAX_SWEEP_POINTS:
        raise ValidationError(
            {"values": _("Between 1 and %(n)s values.") % {"n": MAX_SWEEP_POINTS}}
        )
    return sorted(set(chosen))


def _same(a, b) -> bool:
    return a is not None and b is not None and Decimal(str(a)) == Decimal(str(b))


def backtest_compute(
    *,
    rule: WarningRule,
    period: Period,
    min_lead_weeks: int = 2,
    sweep: str = "",
    values: Sequence | None = None,
    progress=None,
) -> dict:
    """The backtest of `rule` (saved or with unsaved changes; writes nothing) over `period`,
    and, with `sweep`, the same for each value of that parameter: the precision/recall
    frontier. `progress(done, total)` is called after each step."""
    school = rule.school
    ctx = _context(school=school, period=period)
    points = sweep_values(parameter=sweep, values=values) if sweep else []
    total = 1 + len(points)
    result = _measure(rule=rule, ctx=ctx, min_lead_weeks=min_lead_weeks)
    if progress:
        progress(1, total)
    out = {
        "rule": rule_as_measured(rule),
        "period": {
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "school_days": ctx.period_days,
        },
        "min_lead_weeks": min_lead_weeks,
        **result,
        "sweep": None,
    }
    if points:
        frontier = []
        known = None
        if sweep == "consecutive_windows":
            known = first_firings_by_persistence(rule=rule, ctx=ctx, values=points)
        for i, value in enumerate(points, start=2):
            variant = copy.copy(rule)
            setattr(variant, sweep, value)
            figures = _measure(
                rule=variant,
                ctx=ctx,
                min_lead_weeks=min_lead_weeks,
                first_fired=known[value] if known is not None else None,
            )
            frontier.append(
                {
                    "value": str(value),
                    "current": _same(value, getattr(rule, sweep)),
                    "flagged": figures["flagged"],
                    "true_positives": figures["counts"][TRUE_POSITIVE],
                    "false_positives": figures["counts"][FALSE_POSITIVE],
                    "missed": figures["counts"][MISSED],
                    "precision": figures["precision"],
                    "recall": figures["recall"],
                    "median_lead_weeks": figures["median_lead_weeks"],
                }
            )
            if progress:
                progress(i, total)
        # The English copy is kept with the result; pages show it in the reader's language.
        with translation.override(settings.LANGUAGE_CODE):
            label = str(SWEEPS[sweep][0])
        out["sweep"] = {"parameter": sweep, "label": label, "points": frontier}
    return out
