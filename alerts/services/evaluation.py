"""Evaluation: a school's rules applied to its records, and its cases opened, reopened or
updated to match (alerts.services.case_changes writes each change)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from schools.models import School, Student

from .. import engine, incremental
from ..models import (
    Case,
    CaseEvent,
    CaseEvidence,
    CaseOrigin,
    CaseRule,
    EvaluationState,
    EventKind,
    WarningRule,
)
from ..notifications import Recipients
from ..records import school_days_until
from .case_changes import case_reopen, cases_open
from .case_updates import CaseWrites, case_update
from .grading import Assessment, assess

SCHOOL_WEEK_DAYS = 5


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
    # Incremental: only the students whose records changed since the last run on this date
    # were evaluated (`evaluated` of them); otherwise every student was.
    incremental: bool = False
    evaluated: int | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["on_date"] = self.on_date.isoformat()
        return data


def _local_date(moment: dt.datetime, school: School) -> dt.date:
    return moment.astimezone(school.tz).date()


def evaluation_run(
    *, school: School, on_date: dt.date | None = None, dry_run: bool = False, full: bool = False
) -> EvaluationSummary:
    """Evaluate `school`'s enabled rules on `on_date` (default: today at the school) and open,
    reopen or update its cases; return what was done.

    Guarantees: at most one open case per student, however many rules fire; a resolved case
    reopens only on evidence dated after its resolution; running again with the same data
    changes nothing and notifies nobody; two runs of one school at once cannot both act
    (the second waits on the school's row lock and then finds nothing to do; the partial
    unique constraint is the last line). Every opening and every rise in stage or severity
    writes its Notification rows in the same transaction (alerts.notifications.case_changed).
    A dry run reads and decides but writes nothing.

    Incremental unless `full`: on the date of the school's last run, with the same rules,
    calendar and active students, only the students whose records or case changed since are
    evaluated again (alerts/incremental.py says why that is the same as a full run).
    """
    on_date = on_date or school.today()
    summary = EvaluationSummary(school=school.code, on_date=on_date, dry_run=dry_run)
    # Before anything is read: changes committed from here on are the next run's.
    started_at = timezone.now()
    with transaction.atomic():
        # The lock: held until this transaction ends, so a concurrent run of the same school
        # waits here and then reads the cases this run opened.
        School.objects.select_for_update().filter(pk=school.pk).values_list("pk").get()
        rules = list(WarningRule.objects.filter(school=school, enabled=True))
        days = school_days_until(school, on_date, engine.days_needed(rules))
        digest = incremental.fingerprint(school=school, rules=rules, days=days)
        state = EvaluationState.objects.filter(school=school).first()
        since = None if full else incremental.changed_since(state, on_date=on_date, digest=digest)
        only = incremental.changed_students(school=school, since=since) if since else None
        summary.incremental = only is not None
        summary.evaluated = len(only) if only is not None else None
        if not dry_run:
            incremental.state_save(
                state, school=school, on_date=on_date, started_at=started_at, digest=digest
            )
        if only is not None and not only:
            return summary
        school_cases = Case.objects.filter(student__school=school)
        if only is not None:
            school_cases = school_cases.filter(student_id__in=only)
        cases: dict[int, Case] = {}
        for row in school_cases.select_related(
            "student__school", "student__assigned_counsellor"
        ).order_by("opened_at"):
            current = cases.get(row.student_id)
            if current is None or not current.is_open:
                cases[row.student_id] = row
        not_before = {
            sid: _local_date(c.resolved_at, school)
            for sid, c in cases.items()
            if not c.is_open and c.resolved_at is not None
        }
        ev = engine.evaluate(
            school=school,
            on_date=on_date,
            rules=rules,
            not_before=not_before,
            students=only,
            days=days,
        )
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
        recipients = Recipients(school)
        writes = CaseWrites(on_date=on_date, recipients=recipients)
        to_open: list[tuple[Student, Assessment]] = []
        for student_id, matches in by_student.items():
            assessment = assess(matches, ev.context.get(student_id, set()), ev)
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
                    case_reopen(case, assessment, ev, summary, recipients)
            else:
                case_update(case, assessment, ev, summary, fired, known_evidence, dry_run, writes)
        for student_id, case in cases.items():
            if case.is_open and student_id not in by_student:
                _case_quiet(case, ev, summary, dry_run, writes)
        summary.notifications += writes.write()
        cases_open(to_open, ev, summary, recipients)
    return summary


def _case_quiet(
    case: Case,
    ev: engine.Evaluation,
    summary: EvaluationSummary,
    dry_run: bool,
    writes: CaseWrites,
) -> None:
    """An open case whose rules did not fire today: count the clean school weeks and, past
    the configured number, suggest resolution (once; a person decides). A concern raised by
    hand that no rule has fired for is not the rules' to call quiet: it is left alone."""
    if case.origin == CaseOrigin.PERSON and not case.evidence:
        summary.unchanged.append(case.student.code)
        return
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
    values: dict[str, Any] = {"clean_weeks": clean_weeks}
    if suggest:
        values["resolution_suggested_at"] = timezone.now()
    writes.change(case, values)
    if suggest:
        writes.events.append(
            CaseEvent(
                case=case,
                kind=EventKind.RESOLUTION_SUGGESTED,
                detail={"clean_weeks": clean_weeks, "on_date": ev.on_date.isoformat()},
            )
        )
        summary.resolution_suggested.append(case.student.code)
    summary.updated.append(case.student.code)
