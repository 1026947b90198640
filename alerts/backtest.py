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
school's calendar. docs/RULES.md explains how to read the figures and choose a rule.

A backtest is kept (BacktestRun) per rule version, period and settings, and per state of the
school's outcomes and leavers, so opening it again answers at once; a large school's runs on
the worker (alerts.tasks.run_backtest) with its progress on the row.
"""

from __future__ import annotations

import bisect
import copy
import datetime as dt
import hashlib
import json
import logging
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from core.audit import audit_record
from core.broker import publish_quickly
from schools.calendar import school_days_between
from schools.models import School, Student

from . import engine, firing
from .models import (
    NEGATIVE_OUTCOMES,
    POSITIVE_OUTCOMES,
    BacktestRun,
    BacktestStatus,
    Outcome,
    RuleKind,
    WarningRule,
)

log = logging.getLogger(__name__)

SCHOOL_WEEK = 5
BACKTEST_TASK = "alerts.tasks.run_backtest"
# The longest period one backtest replays: two school years.
MAX_PERIOD_SCHOOL_DAYS = 400

# The parameters a sweep can move, with the values it tries unless told (10 points each).
SWEEPS: dict[str, tuple[str, tuple]] = {
    "consecutive_windows": ("Persistence: windows in a row", tuple(range(1, 11))),
    "min_events_per_window": ("Minimum events per window", tuple(range(1, 11))),
    "attendance_threshold": (
        "Attendance threshold (%)",
        tuple(Decimal(v) for v in range(50, 100, 5)),
    ),
}
MAX_SWEEP_POINTS = 12

TRUE_POSITIVE = "true_positive"
FALSE_POSITIVE = "false_positive"
MISSED = "missed"
FLAGGED_NO_OUTCOME = "flagged_no_outcome"
TRUE_NEGATIVE = "true_negative"
VERDICTS = (TRUE_POSITIVE, FALSE_POSITIVE, MISSED, FLAGGED_NO_OUTCOME, TRUE_NEGATIVE)

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
        raise ValidationError({"start": "The period starts after it ends."})
    if end > school.today():
        raise ValidationError(
            {"end": f"{end.isoformat()} is in the future at the school: a backtest looks back."}
        )
    days = school_days_between(school, start, end)
    if not days:
        raise ValidationError({"start": "There is no school day in this period."})
    if len(days) > MAX_PERIOD_SCHOOL_DAYS:
        raise ValidationError(
            {"start": f"At most {MAX_PERIOD_SCHOOL_DAYS} school days (two school years)."}
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


def school_days_from(days: Sequence[dt.date], earlier: dt.date, later: dt.date) -> int:
    """School days in `days` after `earlier` up to and including `later` (negative when
    `later` comes first): the lead of a flag on `earlier` for an outcome on `later`."""
    if later >= earlier:
        return bisect.bisect_right(days, later) - bisect.bisect_right(days, earlier)
    return -school_days_from(days, later, earlier)


def score(
    *,
    first_fired: Mapping[int, dt.date],
    outcomes: Mapping[int, tuple[str, dt.date]],
    students: Mapping[int, str],
    calendar: Sequence[dt.date],
    min_lead_weeks: int,
) -> dict:
    """The backtest's figures from each student's first firing date and outcome: pure, so a
    test can check it against a direct count. Only students in `students` (on roll) count."""
    rows = []
    counts = dict.fromkeys(VERDICTS, 0)
    counts["late"] = 0
    leads: list[float] = []
    needed = min_lead_weeks * SCHOOL_WEEK
    for student_id, code in students.items():
        fired = first_fired.get(student_id)
        kind, on_date = outcomes.get(student_id, (None, None))
        lead_days = school_days_from(calendar, fired, on_date) if fired and on_date else None
        late = False
        if kind in POSITIVE_OUTCOMES:
            if lead_days is not None and lead_days >= needed:
                verdict = TRUE_POSITIVE
                leads.append(lead_days / SCHOOL_WEEK)
            else:
                verdict = MISSED
                late = fired is not None
        elif kind in NEGATIVE_OUTCOMES:
            verdict = FALSE_POSITIVE if fired is not None else TRUE_NEGATIVE
        elif fired is not None:
            verdict = FLAGGED_NO_OUTCOME
        else:
            continue  # neither flagged nor known: nothing to say
        counts[verdict] += 1
        counts["late"] += late
        rows.append(
            {
                "student": code,
                "verdict": verdict,
                "late": late,
                "first_fired_on": fired.isoformat() if fired else None,
                "outcome": kind,
                "outcome_on": on_date.isoformat() if on_date else None,
                "lead_weeks": round(lead_days / SCHOOL_WEEK, 1) if lead_days is not None else None,
            }
        )
    tp, fp, missed = counts[TRUE_POSITIVE], counts[FALSE_POSITIVE], counts[MISSED]
    flagged = tp + fp + counts[FLAGGED_NO_OUTCOME] + counts["late"]
    rows.sort(key=lambda r: (VERDICTS.index(r["verdict"]), r["first_fired_on"] or "", r["student"]))
    return {
        "students_on_roll": len(students),
        "flagged": flagged,
        "counts": counts,
        "precision": round(tp / (tp + fp), 4) if tp + fp else None,
        "recall": round(tp / (tp + missed), 4) if tp + missed else None,
        "median_lead_weeks": round(statistics.median(leads), 1) if leads else None,
        "students": rows,
    }


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
    days = engine.school_days_until(rule.school, ctx.period.end, n + top * width)
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
            {"sweep": f"Sweep one of: {', '.join(SWEEPS)} (threshold, persistence, events)."}
        )
    chosen = list(values) if values else list(SWEEPS[parameter][1])
    if not chosen or len(chosen) > MAX_SWEEP_POINTS:
        raise ValidationError({"values": f"Between 1 and {MAX_SWEEP_POINTS} values."})
    return sorted(set(chosen))


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
        out["sweep"] = {"parameter": sweep, "label": SWEEPS[sweep][0], "points": frontier}
    return out


# --- kept runs -------------------------------------------------------------------------------


def _fingerprint(school: School) -> dict:
    """What, besides the rule and the settings, a kept result depends on and an import can
    change: the school's outcomes and leavers (two queries)."""
    outcomes = Outcome.objects.filter(student__school=school).aggregate(
        n=Count("id"), last=Max("id")
    )
    leavers = Student.objects.filter(school=school, left_on__isnull=False).aggregate(
        n=Count("id"), last=Max("left_on")
    )
    return {
        "outcomes": [outcomes["n"], outcomes["last"]],
        "leavers": [leavers["n"], leavers["last"].isoformat() if leavers["last"] else None],
    }


def run_key(*, rule: WarningRule, params: dict) -> str:
    data = {"rule": rule_as_measured(rule), "params": params, "data": _fingerprint(rule.school)}
    del data["rule"]["name"]
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def backtest_request(
    *,
    rule: WarningRule,
    start: dt.date,
    end: dt.date,
    by,
    min_lead_weeks: int = 2,
    sweep: str = "",
    values: Sequence | None = None,
    run_inline: bool | None = None,
) -> BacktestRun:
    """The kept backtest of `rule` as it is now (saved or edited) with these settings: the
    kept run when there is one; else computed at once for a school of at most
    BACKTEST_INLINE_MAX_STUDENTS students, or queued for the worker (the run comes back
    "queued" and its progress moves on the row). Raises ValidationError for a bad period or
    sweep; writes only the run."""
    school = rule.school
    if sweep and rule.kind == RuleKind.COMPOSITE:
        # A composite's windows are its components': sweep them one by one.
        raise ValidationError({"sweep": "Sweep a composite rule's components one by one."})
    if sweep == "attendance_threshold" and rule.kind != RuleKind.ATTENDANCE_RATE:
        raise ValidationError({"sweep": "Only an attendance-rate rule has a threshold."})
    period = period_check(school=school, start=start, end=end)
    if sweep:
        values = sweep_values(parameter=sweep, values=values)
    params = {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "min_lead_weeks": min_lead_weeks,
        "sweep": sweep,
        "values": [str(v) for v in values or ()],
    }
    key = run_key(rule=rule, params=params)
    # Who looked at which students' figures: like reading a case, every request is audited.
    audit_record(
        actor=by,
        action="rule.backtest",
        obj=rule,
        school_id=school.pk,
        detail={"version": rule.version, **params},
    )
    kept = BacktestRun.objects.filter(school=school, key=key).first()
    now = timezone.now()
    if kept is not None and _alive(kept, now):
        if kept.status == BacktestStatus.QUEUED and now - kept.created_at > QUEUE_AGAIN_AFTER:
            # Its first queueing failed (the broker was down), or the task was lost.
            publish_quickly(BACKTEST_TASK, args=[kept.pk])
        return kept
    saved = rule.pk is not None and _unchanged(rule)
    run_params = {**params, "rule": rule_as_measured(rule)}
    with transaction.atomic():
        if kept is not None:
            kept.delete()
        try:
            with transaction.atomic():
                run = BacktestRun.objects.create(
                    school=school,
                    rule=rule if rule.pk else None,
                    rule_version=rule.version if saved else None,
                    key=key,
                    params=run_params,
                    total_steps=1 + len(values or ()),
                    requested_by=by if by is not None and by.is_authenticated else None,
                )
        except IntegrityError:
            # Asked twice at once: the other request's run is the one.
            return BacktestRun.objects.get(school=school, key=key)
    if run_inline is None:
        run_inline = len(students_on_roll(school=school, start=period.start)) <= (
            settings.BACKTEST_INLINE_MAX_STUDENTS
        )
    if run_inline:
        return backtest_run(run=run, rule=rule)
    transaction.on_commit(lambda: publish_quickly(BACKTEST_TASK, args=[run.pk]), robust=True)
    return run


QUEUE_AGAIN_AFTER = dt.timedelta(seconds=60)


def _alive(run: BacktestRun, now: dt.datetime) -> bool:
    """A kept run worth answering with: done, queued, or running for less than a task may
    run (a worker that died leaves it "running" for ever otherwise)."""
    if run.status == BacktestStatus.FAILED:
        return False
    if run.status == BacktestStatus.RUNNING and run.started_at is not None:
        return now - run.started_at < dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    return True


def _unchanged(rule: WarningRule) -> bool:
    saved = WarningRule.objects.filter(pk=rule.pk).first()
    return saved is not None and all(getattr(saved, f) == getattr(rule, f) for f in MEASURED_FIELDS)


def rule_from_params(run: BacktestRun) -> WarningRule | None:
    """The rule as it was measured, rebuilt from the run (an edited copy is never saved)."""
    if run.rule_id is None:
        return None
    rule = WarningRule.objects.select_related("school").get(pk=run.rule_id)
    measured = run.params.get("rule", {})
    for name in MEASURED_FIELDS:
        if name in measured:
            value = measured[name]
            if name == "attendance_threshold" and value is not None:
                value = Decimal(value)
            setattr(rule, name, value)
    return rule


def backtest_run(*, run: BacktestRun, rule: WarningRule | None = None) -> BacktestRun:
    """Compute a queued run once (claimed with a conditional update, so two workers never
    both do), recording progress after each step; the result, or a failure, lands on it."""
    claimed = BacktestRun.objects.filter(pk=run.pk, status__in=[BacktestStatus.QUEUED]).update(
        status=BacktestStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        run.refresh_from_db()
        return run
    rule = rule or rule_from_params(run)
    params = run.params

    def progress(done: int, total: int) -> None:
        BacktestRun.objects.filter(pk=run.pk).update(done_steps=done, total_steps=total)

    try:
        if rule is None:
            raise ValidationError("The rule no longer exists.")
        result = backtest_compute(
            rule=rule,
            period=Period(
                dt.date.fromisoformat(params["start"]), dt.date.fromisoformat(params["end"])
            ),
            min_lead_weeks=params["min_lead_weeks"],
            sweep=params["sweep"],
            values=[_value(params["sweep"], v) for v in params["values"]],
            progress=progress,
        )
    except Exception:
        log.exception("backtest %s failed", run.pk)
        BacktestRun.objects.filter(pk=run.pk).update(
            status=BacktestStatus.FAILED,
            error="The backtest failed unexpectedly.",
            finished_at=timezone.now(),
        )
    else:
        BacktestRun.objects.filter(pk=run.pk).update(
            status=BacktestStatus.DONE, result=result, finished_at=timezone.now()
        )
    run.refresh_from_db()
    return run


def _value(parameter: str, text: str):
    return Decimal(text) if parameter == "attendance_threshold" else int(text)


def _same(a, b) -> bool:
    return a is not None and b is not None and Decimal(str(a)) == Decimal(str(b))
