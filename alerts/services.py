"""Writes to rules and cases. Views, serializers, tasks and commands call these."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.audit import audit_record
from core.models import AuditEvent
from core.screening import clean_text
from schools.models import School, Student
from schools.services import validate_note

from . import engine, notify
from .defaults import DEFAULT_RULES
from .models import (
    ActionType,
    Case,
    CaseEvent,
    CaseEvidence,
    CaseRule,
    CaseStatus,
    EventKind,
    Severity,
    Stage,
    WarningRule,
    severity_rank,
    severity_step_up,
    stage_rank,
)

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
    "severity",
)


def rules_install_defaults(*, school: School) -> list[WarningRule]:
    """Give `school` each default rule it does not have yet (by key); never touches a rule
    the school already has, so it is safe to call again."""
    have = set(WarningRule.objects.filter(school=school).values_list("key", flat=True))
    new = [WarningRule(school=school, **spec) for spec in DEFAULT_RULES if spec["key"] not in have]
    # ignore_conflicts: two processes creating the same school's rules at once both succeed.
    WarningRule.objects.bulk_create(new, ignore_conflicts=True)
    return new


def rule_create(*, school: School, by, **fields) -> WarningRule:
    """Add a rule to `school`, validated like the admin form; version 1."""
    rule = WarningRule(school=school, updated_by=by, **fields)
    rule.full_clean()
    with transaction.atomic():
        rule.save()
        audit_record(actor=by, action="rule.create", obj=rule, school_id=school.pk)
    return rule


def rule_update(*, rule: WarningRule, by, fields: Iterable[str] | None = None) -> WarningRule:
    """Save the edited `rule` and raise its version by one (in the database, so two edits
    at once make two versions). Nothing changed: nothing is saved and the version stays."""
    wanted = set(RULE_EDITABLE_FIELDS if fields is None else fields)
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


# --- Evaluation: rules -> cases --------------------------------------------------------

SCHOOL_WEEK_DAYS = 5
PRE_WITHDRAWAL_MONTHS = 3
PERSISTENT_MONTHS = 6


@dataclass
class EvaluationSummary:
    """What one evaluation of one school did (or, in a dry run, would do). Student codes
    only: nothing else about a student is ever printed or logged."""

    school: str
    on_date: dt.date
    dry_run: bool
    opened: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    would_open: list[str] = field(default_factory=list)
    would_update: list[str] = field(default_factory=list)
    resolution_suggested: list[str] = field(default_factory=list)
    notifications: int = 0

    def as_dict(self) -> dict:
        data = asdict(self)
        data["on_date"] = self.on_date.isoformat()
        return data


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
    floor = {Stage.PRE_WITHDRAWAL: Severity.HIGH, Stage.PERSISTENT: Severity.CRITICAL}.get(stage)
    if floor and severity_rank(floor) > severity_rank(severity):
        severity = floor
    if any(True for _ in context):
        severity = severity_step_up(severity)
    return severity


def _higher(old: str, new: str, rank) -> str:
    return new if rank(new) > rank(old) else old


@dataclass
class _Assessment:
    """What the matches of one student say, before comparing with their case."""

    matches: list[engine.RuleMatch]
    persisted_since: dt.date
    first_evidence_on: dt.date
    last_evidence_on: dt.date
    stage: str
    severity: str
    context: list[str]
    evidence: dict
    ref_dates: dict[tuple[str, int], dt.date]

    def refs(self) -> dict[tuple[str, int], tuple[engine.RuleMatch, engine.WindowEvidence]]:
        found = {}
        for match in self.matches:
            for window in match.windows:
                for i in window.observation_ids:
                    found.setdefault(("observation", i), (match, window))
                for i in window.attendance_ids:
                    found.setdefault(("attendance", i), (match, window))
        return found


def _assess(
    matches: list[engine.RuleMatch], context: set[str], ev: engine.Evaluation
) -> _Assessment:
    persisted_since = min(m.persisted_since for m in matches)
    dates = [ev.ref_dates[ref] for m in matches for ref in _match_refs(m)]
    # A firing rule always has records in its windows (an attendance window below its
    # threshold holds at least one absence); the window dates are only a safety net.
    dates = dates or [w.start for m in matches for w in m.windows]
    stage = stage_for(persisted_since, ev.on_date)
    return _Assessment(
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


def _match_refs(match: engine.RuleMatch):
    for i in match.observation_ids:
        yield ("observation", i)
    for i in match.attendance_ids:
        yield ("attendance", i)


def _local_date(moment: dt.datetime, school: School) -> dt.date:
    return moment.astimezone(school.tz).date()


def evaluation_run(
    *, school: School, on_date: dt.date | None = None, dry_run: bool = False
) -> EvaluationSummary:
    """Evaluate `school`'s enabled rules on `on_date` (default: today at the school) and open,
    reopen or update its cases; return what was done.

    Guarantees: at most one open case per student, however many rules fire; a resolved case
    reopens only on evidence dated after its resolution; running again with the same data
    changes nothing and notifies nobody; two runs of one school at once cannot both act
    (the second waits on the school's row lock and then finds nothing to do; the partial
    unique constraint is the last line). Every opening and every rise in stage or severity
    writes its Notification rows in the same transaction (alerts.notify.case_changed).
    A dry run reads and decides but writes nothing.
    """
    on_date = on_date or school.today()
    summary = EvaluationSummary(school=school.code, on_date=on_date, dry_run=dry_run)
    with transaction.atomic():
        # The lock: held until this transaction ends, so a concurrent run of the same school
        # waits here and then reads the cases this run opened.
        School.objects.select_for_update().filter(pk=school.pk).values_list("pk").get()
        cases: dict[int, Case] = {}
        for case in (
            Case.objects.filter(student__school=school)
            .select_related("student__school", "student__assigned_counsellor")
            .order_by("opened_at")
        ):
            current = cases.get(case.student_id)
            if current is None or not current.is_open:
                cases[case.student_id] = case
        not_before = {
            sid: _local_date(c.resolved_at, school)
            for sid, c in cases.items()
            if not c.is_open and c.resolved_at is not None
        }
        ev = engine.evaluate(school=school, on_date=on_date, not_before=not_before)
        by_student = ev.by_student()
        new_ids = [sid for sid in by_student if sid not in cases]
        students = Student.objects.select_related("school", "assigned_counsellor").in_bulk(new_ids)
        open_matched = [c.pk for sid, c in cases.items() if sid in by_student and c.is_open]
        fired = {
            (r.case_id, r.rule_id, r.rule_version): r
            for r in CaseRule.objects.filter(case_id__in=open_matched)
        }
        known_evidence = {
            (case_id, "observation" if obs_id else "attendance", obs_id or att_id)
            for case_id, obs_id, att_id in CaseEvidence.objects.filter(
                case_id__in=open_matched
            ).values_list("case_id", "observation_id", "attendance_id")
        }
        to_open: list[tuple[Student, _Assessment]] = []
        for student_id, matches in by_student.items():
            assessment = _assess(matches, ev.context.get(student_id, set()), ev)
            case = cases.get(student_id)
            if case is None:
                student = students[student_id]
                if dry_run:
                    summary.would_open.append(student.code)
                else:
                    to_open.append((student, assessment))
            elif not case.is_open:
                if dry_run:
                    summary.would_open.append(case.student.code)
                else:
                    _case_reopen(case, assessment, ev, summary)
            else:
                _case_update(case, assessment, ev, summary, fired, known_evidence, dry_run)
        for student_id, case in cases.items():
            if case.is_open and student_id not in by_student:
                _case_quiet(case, ev, summary, dry_run)
        _cases_open(to_open, ev, summary)
    return summary


def _rules_payload(assessment: _Assessment) -> list[dict]:
    return [{"rule": m.rule.pk, "version": m.rule.version} for m in assessment.matches]


def _new_evidence_rows(case: Case, assessment: _Assessment, known: set) -> list[CaseEvidence]:
    rows = []
    for (kind, record_id), (match, window) in assessment.refs().items():
        if (case.pk, kind, record_id) in known:
            continue
        rows.append(
            CaseEvidence(
                case=case,
                rule=match.rule,
                observation_id=record_id if kind == "observation" else None,
                attendance_id=record_id if kind == "attendance" else None,
                on_date=assessment.ref_dates[(kind, record_id)],
                window_start=window.start,
                window_end=window.end,
            )
        )
    return rows


def _write_fired_rules(case: Case, assessment: _Assessment, on_date: dt.date, fired: dict):
    """Record each rule (at its current version) that fired; True when anything changed."""
    new, changed = [], False
    for match in assessment.matches:
        key = (case.pk, match.rule.pk, match.rule.version)
        existing = fired.get(key)
        if existing is None:
            new.append(
                CaseRule(
                    case=case,
                    rule=match.rule,
                    rule_name=match.rule.name,
                    rule_version=match.rule.version,
                    first_fired_on=on_date,
                    last_fired_on=on_date,
                )
            )
        elif existing.last_fired_on < on_date:
            CaseRule.objects.filter(pk=existing.pk).update(last_fired_on=on_date)
            changed = True
    CaseRule.objects.bulk_create(new)
    return changed or bool(new)


def _new_case(student: Student, assessment: _Assessment, on_date: dt.date) -> Case:
    return Case(
        student=student,
        status=CaseStatus.NEW,
        stage=assessment.stage,
        severity=assessment.severity,
        context_signs=assessment.context,
        first_evidence_on=assessment.first_evidence_on,
        last_evidence_on=assessment.last_evidence_on,
        persisted_since=assessment.persisted_since,
        last_fired_on=on_date,
        evidence=assessment.evidence,
    )


def _opened_event(case: Case, assessment: _Assessment, on_date: dt.date) -> CaseEvent:
    return CaseEvent(
        case=case,
        kind=EventKind.OPENED,
        to_status=CaseStatus.NEW,
        detail={
            "rules": _rules_payload(assessment),
            "stage": case.stage,
            "severity": case.severity,
            "on_date": on_date.isoformat(),
        },
    )


def _cases_open(
    items: list[tuple[Student, _Assessment]], ev: engine.Evaluation, summary: EvaluationSummary
) -> None:
    """Open a case for each (student, assessment): a handful of bulk inserts for all of them
    (the first evaluation of a school may open hundreds), then the notification hook per
    case. Should the constraint refuse any of them (a case opened outside this run's lock),
    nothing of the batch stays and each is opened on its own instead."""
    if not items:
        return
    try:
        with transaction.atomic():
            cases = Case.objects.bulk_create(
                _new_case(student, assessment, ev.on_date) for student, assessment in items
            )
            pairs = list(zip(cases, (a for _s, a in items), strict=True))
            CaseRule.objects.bulk_create(
                row for case, assessment in pairs for row in _rule_rows(case, assessment, ev)
            )
            CaseEvidence.objects.bulk_create(
                row for case, a in pairs for row in _new_evidence_rows(case, a, set())
            )
            CaseEvent.objects.bulk_create(_opened_event(c, a, ev.on_date) for c, a in pairs)
            # The same entries audit_record() writes, in one insert.
            AuditEvent.objects.bulk_create(
                AuditEvent(
                    action="case.open",
                    object_type=case._meta.label_lower,
                    object_id=case.pk,
                    school_id=case.student.school_id,
                    detail={"rules": _rules_payload(assessment)},
                )
                for case, assessment in pairs
            )
            notified = sum(
                len(notify.case_changed(case=case, change="opened")) for case, _a in pairs
            )
    except IntegrityError:
        for student, assessment in items:
            _case_open(student, assessment, ev, summary)
        return
    summary.notifications += notified
    summary.opened.extend(student.code for student, _a in items)


def _rule_rows(case: Case, assessment: _Assessment, ev: engine.Evaluation) -> list[CaseRule]:
    return [
        CaseRule(
            case=case,
            rule=match.rule,
            rule_name=match.rule.name,
            rule_version=match.rule.version,
            first_fired_on=ev.on_date,
            last_fired_on=ev.on_date,
        )
        for match in assessment.matches
    ]


def _case_open(
    student: Student, assessment: _Assessment, ev: engine.Evaluation, summary: EvaluationSummary
) -> None:
    """Open one case in its own savepoint: if the constraint refuses it, the rest of this
    run still stands."""
    try:
        with transaction.atomic():
            case = _new_case(student, assessment, ev.on_date)
            case.save()
            CaseRule.objects.bulk_create(_rule_rows(case, assessment, ev))
            CaseEvidence.objects.bulk_create(_new_evidence_rows(case, assessment, set()))
            _opened_event(case, assessment, ev.on_date).save()
            audit_record(
                actor=None,
                action="case.open",
                obj=case,
                school_id=student.school_id,
                detail={"rules": _rules_payload(assessment)},
            )
            summary.notifications += len(notify.case_changed(case=case, change="opened"))
    except IntegrityError:
        summary.unchanged.append(student.code)
        return
    summary.opened.append(student.code)


def _case_reopen(
    case: Case, assessment: _Assessment, ev: engine.Evaluation, summary: EvaluationSummary
) -> None:
    previous = {"status": case.status, "stage": case.stage, "severity": case.severity}
    values = {
        "status": CaseStatus.NEW,
        "resolved_at": None,
        "resolved_by": None,
        "resolution_reason": "",
        "acknowledged_at": None,
        "acknowledged_by": None,
        "opened_count": case.opened_count + 1,
        "opened_at": timezone.now(),
        "stage": assessment.stage,
        "severity": assessment.severity,
        "context_signs": assessment.context,
        "first_evidence_on": assessment.first_evidence_on,
        "last_evidence_on": assessment.last_evidence_on,
        "persisted_since": assessment.persisted_since,
        "last_fired_on": ev.on_date,
        "evidence": assessment.evidence,
        "clean_weeks": 0,
        "resolution_suggested_at": None,
        "escalate_at": None,
        "escalated_at": None,
    }
    try:
        with transaction.atomic():
            # Compare-and-swap: only a case that is still resolved is reopened.
            if not Case.objects.filter(pk=case.pk, status=CaseStatus.RESOLVED).update(**values):
                summary.unchanged.append(case.student.code)
                return
            for name, value in values.items():
                setattr(case, name, value)
            fired = {
                (r.case_id, r.rule_id, r.rule_version): r
                for r in CaseRule.objects.filter(case=case)
            }
            _write_fired_rules(case, assessment, ev.on_date, fired)
            known = {
                (case.pk, "observation" if o else "attendance", o or a)
                for o, a in CaseEvidence.objects.filter(case=case).values_list(
                    "observation_id", "attendance_id"
                )
            }
            CaseEvidence.objects.bulk_create(_new_evidence_rows(case, assessment, known))
            CaseEvent.objects.create(
                case=case,
                kind=EventKind.REOPENED,
                from_status=CaseStatus.RESOLVED,
                to_status=CaseStatus.NEW,
                detail={
                    "rules": _rules_payload(assessment),
                    "stage": case.stage,
                    "severity": case.severity,
                    "on_date": ev.on_date.isoformat(),
                },
            )
            audit_record(
                actor=None,
                action="case.reopen",
                obj=case,
                school_id=case.student.school_id,
                detail={"rules": _rules_payload(assessment)},
            )
            summary.notifications += len(
                notify.case_changed(case=case, change="reopened", previous=previous)
            )
    except IntegrityError:
        summary.unchanged.append(case.student.code)
        return
    summary.reopened.append(case.student.code)


def _case_update(
    case: Case,
    assessment: _Assessment,
    ev: engine.Evaluation,
    summary: EvaluationSummary,
    fired: dict,
    known_evidence: set,
    dry_run: bool,
) -> None:
    # Persistence means without a break: when the run of windows firing now began after the
    # last day a rule fired for this case, the pattern stopped in between and is measured
    # afresh (the stage already reached is kept, see below).
    if assessment.persisted_since > case.last_fired_on:
        persisted_since = assessment.persisted_since
    else:
        persisted_since = min(case.persisted_since, assessment.persisted_since)
    values = {
        "persisted_since": persisted_since,
        "first_evidence_on": min(case.first_evidence_on, assessment.first_evidence_on),
        "last_evidence_on": max(case.last_evidence_on, assessment.last_evidence_on),
        "last_fired_on": max(case.last_fired_on, ev.on_date),
        "evidence": assessment.evidence,
        "context_signs": assessment.context,
        "clean_weeks": 0,
        "resolution_suggested_at": None,
    }
    stage = stage_for(values["persisted_since"], ev.on_date)
    values["stage"] = _higher(case.stage, stage, stage_rank)
    severity = severity_for(
        (m.rule.severity for m in assessment.matches), values["stage"], assessment.context
    )
    values["severity"] = _higher(case.severity, severity, severity_rank)
    changed = {k: v for k, v in values.items() if getattr(case, k) != v}
    new_evidence = _new_evidence_rows(case, assessment, known_evidence)
    rules_changed = any(
        (case.pk, m.rule.pk, m.rule.version) not in fired
        or fired[(case.pk, m.rule.pk, m.rule.version)].last_fired_on < ev.on_date
        for m in assessment.matches
    )
    if not changed and not new_evidence and not rules_changed:
        summary.unchanged.append(case.student.code)
        return
    if dry_run:
        summary.would_update.append(case.student.code)
        return
    previous = {"stage": case.stage, "severity": case.severity}
    # Only the columns evaluation owns: a counsellor changing the status at the same moment
    # is not overwritten.
    if changed:
        Case.objects.filter(pk=case.pk).update(**changed)
        for name, value in changed.items():
            setattr(case, name, value)
    new_rules = [
        {"rule": m.rule.pk, "version": m.rule.version}
        for m in assessment.matches
        if (case.pk, m.rule.pk, m.rule.version) not in fired
    ]
    _write_fired_rules(case, assessment, ev.on_date, fired)
    if new_evidence:
        CaseEvidence.objects.bulk_create(new_evidence, ignore_conflicts=True)
    if new_evidence or new_rules:
        # One timeline entry per run that added something: the records, and any rule (or
        # rule version) that fired on this case for the first time.
        CaseEvent.objects.create(
            case=case,
            kind=EventKind.EVIDENCE,
            detail={
                "added": len(new_evidence),
                "observations": sum(1 for e in new_evidence if e.observation_id),
                "attendance": sum(1 for e in new_evidence if e.attendance_id),
                "new_rules": new_rules,
                "on_date": ev.on_date.isoformat(),
            },
        )
    stage_raised = "stage" in changed
    severity_raised = "severity" in changed
    if stage_raised:
        CaseEvent.objects.create(
            case=case,
            kind=EventKind.STAGE_CHANGE,
            detail={"from": previous["stage"], "to": case.stage},
        )
    if severity_raised:
        CaseEvent.objects.create(
            case=case,
            kind=EventKind.SEVERITY_CHANGE,
            detail={"from": previous["severity"], "to": case.severity},
        )
    if stage_raised or severity_raised:
        audit_record(
            actor=None,
            action="case.raise",
            obj=case,
            school_id=case.student.school_id,
            detail={
                "stage": case.stage,
                "severity": case.severity,
                **{f"previous_{k}": v for k, v in previous.items()},
            },
        )
        # One message per change: a stage rise carries the new severity with it.
        change = "stage_raised" if stage_raised else "severity_raised"
        summary.notifications += len(
            notify.case_changed(case=case, change=change, previous=previous)
        )
    summary.updated.append(case.student.code)


def _case_quiet(
    case: Case, ev: engine.Evaluation, summary: EvaluationSummary, dry_run: bool
) -> None:
    """An open case whose rules did not fire today: count the clean school weeks and, past
    the configured number, suggest resolution (once; a person decides)."""
    quiet_days = sum(1 for d in ev.days if case.last_fired_on < d <= ev.on_date)
    clean_weeks = quiet_days // SCHOOL_WEEK_DAYS
    suggest = (
        clean_weeks >= settings.ALERTS_CLEAN_WEEKS_TO_SUGGEST_RESOLUTION
        and case.resolution_suggested_at is None
    )
    if clean_weeks == case.clean_weeks and not suggest:
        summary.unchanged.append(case.student.code)
        return
    if dry_run:
        summary.would_update.append(case.student.code)
        return
    values: dict = {"clean_weeks": clean_weeks}
    if suggest:
        values["resolution_suggested_at"] = timezone.now()
    Case.objects.filter(pk=case.pk).update(**values)
    for name, value in values.items():
        setattr(case, name, value)
    if suggest:
        CaseEvent.objects.create(
            case=case,
            kind=EventKind.RESOLUTION_SUGGESTED,
            detail={"clean_weeks": clean_weeks, "on_date": ev.on_date.isoformat()},
        )
        summary.resolution_suggested.append(case.student.code)
    summary.updated.append(case.student.code)


# --- Working a case --------------------------------------------------------------------


class CaseConflict(ValidationError):
    """The case changed meanwhile (someone else moved it first): reload and decide again.
    A ValidationError so that forms show it; the API answers 409 for it."""


# Forward through the documented statuses; back from monitoring to in progress when the
# pattern returns; resolved from anywhere. A resolved case is reopened only by evidence.
TRANSITIONS: dict[str, frozenset[str]] = {
    CaseStatus.NEW: frozenset(
        {CaseStatus.ACKNOWLEDGED, CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED}
    ),
    CaseStatus.ACKNOWLEDGED: frozenset(
        {CaseStatus.IN_PROGRESS, CaseStatus.MONITORING, CaseStatus.RESOLVED}
    ),
    CaseStatus.IN_PROGRESS: frozenset({CaseStatus.MONITORING, CaseStatus.RESOLVED}),
    CaseStatus.MONITORING: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED}),
    CaseStatus.RESOLVED: frozenset(),
}


def _school_id(case: Case) -> int:
    return case.student.school_id


def case_set_status(*, case: Case, to_status: str, by, text: str = "") -> Case:
    """Move `case` to `to_status` if that is a valid step from its status, as a
    compare-and-swap on the status it had when read: a concurrent change raises CaseConflict
    and writes nothing. Leaving "new" by any step records who acknowledged it and when.
    Appends a timeline entry and an audit entry. `text` (screened) goes on the timeline;
    for a resolution it is the reason."""
    from_status = case.status
    if to_status not in CaseStatus.values:
        raise ValidationError(
            "Unknown status %(s)s.", code="unknown_status", params={"s": to_status}
        )
    if to_status not in TRANSITIONS[from_status]:
        raise ValidationError(
            "A case cannot go from %(a)s to %(b)s. From %(a)s it can go to: %(ok)s.",
            code="invalid_transition",
            params={
                "a": CaseStatus(from_status).label,
                "b": CaseStatus(to_status).label,
                "ok": ", ".join(str(CaseStatus(s).label) for s in sorted(TRANSITIONS[from_status]))
                or "nothing (it reopens only on new evidence)",
            },
        )
    text = validate_note(text)
    now = timezone.now()
    values: dict = {"status": to_status}
    if case.acknowledged_at is None:
        values.update(acknowledged_at=now, acknowledged_by=by)
    if to_status == CaseStatus.RESOLVED:
        values.update(resolved_at=now, resolved_by=by, resolution_reason=text)
    with transaction.atomic():
        if not Case.objects.filter(pk=case.pk, status=from_status).update(**values):
            raise CaseConflict(
                "The case was changed by someone else meanwhile; reload it and try again.",
                code="conflict",
            )
        for name, value in values.items():
            setattr(case, name, value)
        CaseEvent.objects.create(
            case=case,
            kind=EventKind.STATUS_CHANGE,
            author=by,
            at=now,
            from_status=from_status,
            to_status=to_status,
            text=text,
        )
        audit_record(
            actor=by,
            action="case.status",
            obj=case,
            school_id=_school_id(case),
            detail={"from": from_status, "to": to_status},
        )
    return case


def case_acknowledge(*, case: Case, by) -> Case:
    """Acknowledge a new case (stops its escalation clock). A case already past "new" is
    returned as it is: acknowledging twice is not an error."""
    if case.status != CaseStatus.NEW:
        return case
    return case_set_status(case=case, to_status=CaseStatus.ACKNOWLEDGED, by=by)


def case_resolve(*, case: Case, by, reason: str) -> Case:
    """Resolve `case` with a short screened reason (required). It reopens only on evidence
    dated after today."""
    if not clean_text(reason):
        raise ValidationError("Say in a few words why the case is resolved.", code="no_reason")
    return case_set_status(case=case, to_status=CaseStatus.RESOLVED, by=by, text=reason)


def case_add_note(*, case: Case, by, text: str) -> CaseEvent:
    """Append a screened note to the case timeline (never edited afterwards)."""
    text = validate_note(text)
    if not text:
        raise ValidationError("A note cannot be empty.", code="empty_note")
    with transaction.atomic():
        event = CaseEvent.objects.create(case=case, kind=EventKind.NOTE, author=by, text=text)
        audit_record(actor=by, action="case.note", obj=case, school_id=_school_id(case))
    return event


def case_record_action(*, case: Case, by, action_type: str, text: str = "") -> CaseEvent:
    """Append an action taken (one of the documented responses, or "other" with a short
    description) to the case timeline."""
    if action_type not in ActionType.values:
        raise ValidationError(
            "Unknown action %(a)s. Choose one of: %(ok)s.",
            code="unknown_action",
            params={"a": action_type, "ok": ", ".join(ActionType.values)},
        )
    text = validate_note(text)
    if action_type == ActionType.OTHER and not text:
        raise ValidationError("Describe the action in a few words.", code="no_text")
    with transaction.atomic():
        event = CaseEvent.objects.create(
            case=case, kind=EventKind.ACTION, author=by, action_type=action_type, text=text
        )
        audit_record(
            actor=by,
            action="case.action",
            obj=case,
            school_id=_school_id(case),
            detail={"action_type": action_type},
        )
    return event


def case_record_read(*, case: Case, by) -> None:
    """Every read of a case is in the audit trail (who, which case, when)."""
    audit_record(actor=by, action="case.read", obj=case, school_id=_school_id(case))


# --- Rule preview ----------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewStudent:
    student_id: int
    code: str
    flagged_on_date: bool
    first_fired_on: dt.date
    episodes: tuple[dt.date, ...]
    school_days_fired: int


@dataclass(frozen=True)
class RulePreview:
    on_date: dt.date
    first_day: dt.date | None
    school_days: int
    students: list[PreviewStudent]

    @property
    def flagged_on_date(self) -> list[PreviewStudent]:
        return [s for s in self.students if s.flagged_on_date]

    @property
    def flagged_count(self) -> int:
        return len(self.flagged_on_date)


def rule_preview(
    *, rule: WarningRule, on_date: dt.date | None = None, history_school_days: int = 190
) -> RulePreview:
    """Which students `rule` would flag on `on_date` (default today at the school), and on
    which past school dates each would first have fired, over the last
    `history_school_days` school days (about a school year). Works for any rule: enabled or
    not, saved or an unsaved edited instance; writes nothing. One pass over the rows: a fixed
    number of queries, not one evaluation per day."""
    school = rule.school
    on_date = on_date or school.today()
    days, rows = engine.preview(
        school=school, rule=rule, on_date=on_date, history_school_days=history_school_days
    )
    codes = dict(Student.objects.filter(pk__in=list(rows)).values_list("pk", "code"))
    students = sorted(
        (
            PreviewStudent(
                student_id=sid,
                code=codes[sid],
                flagged_on_date=row.flagged_on_date,
                first_fired_on=row.first_fired_on,
                episodes=row.episodes,
                school_days_fired=row.school_days_fired,
            )
            for sid, row in rows.items()
        ),
        key=lambda s: (not s.flagged_on_date, s.first_fired_on, s.code),
    )
    return RulePreview(
        on_date=on_date,
        first_day=days[0] if days else None,
        school_days=len(days),
        students=students,
    )


def notices_mark_read(*, notices) -> int:
    """Mark the unread notices of `notices` (a queryset the caller has scoped to the user)
    read, in one update; a notice already read keeps the time it was first read. Returns how
    many were marked."""
    return notices.filter(read_at__isnull=True).update(read_at=timezone.now())
