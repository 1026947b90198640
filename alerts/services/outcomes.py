"""Outcomes: what turned out to be true of a student, the ground a backtest stands on.

A counsellor records one when resolving a case (casework.case_resolve); a school admin
imports them for past students (a CSV of student reference, outcome, date; the reference is
pseudonymised by the
same keyed HMAC as attendance, so it meets the same student code and is never stored). Every
write is in the audit trail; the reads are scoped to the school like everything else.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.audit import audit_record
from core.limits import validate_date_bounds
from core.models import User
from schools.importers.pseudonym import Pseudonymiser
from schools.importers.report import ImportRefused, Problem
from schools.models import School, Student

from ..models import Case, Outcome, OutcomeKind, OutcomeSource

MAX_OUTCOME_ROWS = 50_000
MAX_PROBLEMS = 50

# The CSV's columns, with the names a school's export may use for them.
COLUMNS = {
    "student_ref": ("student_ref", "student_reference", "student", "reference", "upn", "pupil"),
    "outcome": ("outcome", "kind"),
    "date": ("date", "on_date", "outcome_date"),
}


def _check(*, student: Student, kind: str, on_date: dt.date) -> None:
    if kind not in OutcomeKind.values:
        raise ValidationError(
            _("Unknown outcome %(k)s. Choose one of: %(ok)s."),
            code="unknown_outcome",
            params={"k": kind, "ok": ", ".join(OutcomeKind.values)},
        )
    validate_date_bounds(on_date)
    if on_date > student.school.today():
        raise ValidationError(
            _("%(d)s is in the future at the school; an outcome is what has happened."),
            code="future_date",
            params={"d": on_date.isoformat()},
        )


def outcome_record(
    *,
    student: Student,
    kind: str,
    on_date: dt.date,
    by: User,
    case: Case | None = None,
    source: str = OutcomeSource.CASE,
) -> Outcome:
    """Record one outcome of `student` dated `on_date` (not in the future at the school),
    with an audit entry. Raises ValidationError for an unknown outcome or a bad date."""
    _check(student=student, kind=kind, on_date=on_date)
    with transaction.atomic():
        outcome = Outcome.objects.create(
            student=student,
            kind=kind,
            on_date=on_date,
            source=source,
            case=case,
            recorded_by=by if by is not None and by.is_authenticated else None,
        )
        audit_record(
            actor=by,
            action="outcome.record",
            obj=outcome,
            school_id=student.school_id,
            detail={"kind": kind, "source": source, "case": case.pk if case else None},
        )
    return outcome


@dataclass
class OutcomeImport:
    """What an outcome import did (counts only: never a reference)."""

    dry_run: bool = False
    read: int = 0
    created: int = 0
    unchanged: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "read": self.read,
            "created": self.created,
            "unchanged": self.unchanged,
            "by_outcome": dict(sorted(self.by_outcome.items())),
        }


def _header(row: list[str]) -> dict[str, int]:
    names = [h.strip().lower().lstrip("\ufeff") for h in row]
    index = {}
    for column, aliases in COLUMNS.items():
        for alias in aliases:
            if alias in names:
                index[column] = names.index(alias)
                break
    missing = [c for c in COLUMNS if c not in index]
    if missing:
        raise ImportRefused(
            _(
                "This is not an outcomes CSV, so nothing was written: line 1 must be a header "
                "naming the columns student_ref, outcome and date (missing: %(missing)s)."
            )
            % {"missing": ", ".join(missing)}
        )
    return index


def _date(text: str) -> dt.date | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def outcomes_import(
    *, school: School, data: bytes | str, by: User, dry_run: bool = False
) -> OutcomeImport:
    """Import a CSV of outcomes for `school`'s students, all or nothing.

    Each row names a student by the reference of the school's information system, which is
    turned into the student's code by the keyed HMAC of attendance imports and then
    forgotten. A row with an unknown outcome, a bad or future date, or a reference that is no
    student of the school refuses the whole file (ImportRefused, with the lines and reasons,
    never a value from the file). A row already recorded is counted unchanged, so a second
    import of the same file adds nothing. One audit entry for the import.
    """
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if header is None:
        raise ImportRefused(_("The file is empty, so nothing was written."))
    index = _header(header)
    pseudonyms = Pseudonymiser()
    today = school.today()
    problems: list[tuple[int, Problem]] = []
    total_problems = 0
    wanted: dict[tuple[str, str, dt.date], int] = {}

    def problem(line: int, reason: str) -> None:
        nonlocal total_problems
        total_problems += 1
        if len(problems) < MAX_PROBLEMS:
            problems.append((line, Problem(_("line %(n)d") % {"n": line}, reason)))

    report = OutcomeImport(dry_run=dry_run)
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        report.read += 1
        if report.read > MAX_OUTCOME_ROWS:
            raise ImportRefused(
                _("The file has more than %(n)s rows; split it, nothing was written.")
                % {"n": f"{MAX_OUTCOME_ROWS:,}"}
            )
        if len(row) <= max(index.values()):
            problem(number, _("the row has fewer columns than the header"))
            continue
        reference = row[index["student_ref"]].strip()
        kind = row[index["outcome"]].strip().lower()
        on_date = _date(row[index["date"]])
        if not reference:
            problem(number, _("no student reference"))
            continue
        if kind not in OutcomeKind.values:
            problem(
                number,
                _("unknown outcome (use one of: %(ok)s)") % {"ok": ", ".join(OutcomeKind.values)},
            )
            continue
        if on_date is None:
            problem(number, _("the date is not a date (use YYYY-MM-DD)"))
            continue
        if on_date > today:
            problem(number, _("the date is in the future at the school"))
            continue
        key = (pseudonyms.code(school.code, reference), kind, on_date)
        if key in wanted:
            problem(
                number, _("the same student, outcome and date as line %(n)d") % {"n": wanted[key]}
            )
            continue
        wanted[key] = number
    codes = {code for code, _kind, _date in wanted}
    students = dict(Student.objects.filter(school=school, code__in=codes).values_list("code", "pk"))
    for (code, _kind, _day), number in sorted(wanted.items(), key=lambda item: item[1]):
        if code not in students:
            problem(number, _("no student of this school has this reference"))
    if total_problems:
        raise ImportRefused(
            ngettext(
                "The outcomes file was refused and nothing was written: %(n)d problem.",
                "The outcomes file was refused and nothing was written: %(n)d problems.",
                total_problems,
            )
            % {"n": total_problems},
            [problem for _line, problem in sorted(problems, key=lambda item: item[0])],
            total_problems,
        )
    existing = set(
        Outcome.objects.filter(
            student_id__in=students.values(), source=OutcomeSource.IMPORT
        ).values_list("student_id", "kind", "on_date")
    )
    new = []
    for code, kind, on_date in wanted:
        student_id = students[code]
        if (student_id, kind, on_date) in existing:
            report.unchanged += 1
            continue
        new.append(
            Outcome(
                student_id=student_id,
                kind=kind,
                on_date=on_date,
                source=OutcomeSource.IMPORT,
                recorded_by=by if by is not None and by.is_authenticated else None,
            )
        )
        report.by_outcome[kind] = report.by_outcome.get(kind, 0) + 1
    report.created = len(new)
    if dry_run:
        return report
    with transaction.atomic():
        # ignore_conflicts: the same file imported twice at once still adds each row once.
        Outcome.objects.bulk_create(new, ignore_conflicts=True)
        audit_record(
            actor=by,
            action="outcome.import",
            obj=school,
            school_id=school.pk,
            detail=report.as_dict(),
        )
    return report
