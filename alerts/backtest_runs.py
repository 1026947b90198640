"""Kept backtests: one BacktestRun per rule version, period and settings, and per state of
the school's outcomes and leavers, so opening it again answers at once. A small school's run is
computed at once (alerts.backtest.backtest_compute); a large school's is queued for the worker
(alerts.tasks.run_backtest), claimed once, with its progress on the row."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.audit import audit_record
from core.broker import publish_quickly
from schools.models import School, Student

from .backtest import (
    MEASURED_FIELDS,
    Period,
    backtest_compute,
    period_check,
    rule_as_measured,
    students_on_roll,
    sweep_values,
)
from .models import BacktestRun, BacktestStatus, Outcome, RuleKind, WarningRule

log = logging.getLogger(__name__)

BACKTEST_TASK = "alerts.tasks.run_backtest"


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
        raise ValidationError({"sweep": _("Sweep a composite rule's components one by one.")})
    if sweep == "attendance_threshold" and rule.kind != RuleKind.ATTENDANCE_RATE:
        raise ValidationError({"sweep": _("Only an attendance-rate rule has a threshold.")})
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
            raise ValidationError(_("The rule no longer exists."))
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
            error=gettext_noop("The backtest failed unexpectedly."),
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
