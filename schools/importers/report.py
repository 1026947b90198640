"""What an import did, and the one exception that refuses a file.

Every record read is either applied or skipped for a named reason, so
read == applied + sum(skipped). Attendance counts (created/updated/unchanged, and present
marks not stored) are per session record: an Ed-Fi daily absence is one event read and two
session records written. Each kind of record (attendance, students, observations, calendar)
is counted apart: a created student is not a created record.
Nothing here ever holds an external student reference.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MAX_PROBLEMS = 50  # a refused file lists this many problems, then says how many more


@dataclass
class Problem:
    where: str  # "line 12" or "element StudentSchoolAttendanceEvent #7"
    reason: str

    def __str__(self) -> str:
        if not self.where:
            return self.reason
        return _("%(where)s: %(reason)s") % {"where": self.where, "reason": self.reason}


class ImportRefused(Exception):
    """The file is refused whole; nothing was written. Messages never hold a raw reference.

    Messages and problems are written in the language active when they are made: the
    uploader's (a page or an API request has it active; jobs.import_job_run activates it).
    """

    def __init__(self, message: str, problems: list[Problem] | None = None, total: int = 0):
        super().__init__(message)
        self.message = message
        self.problems = problems or []
        self.total = max(total, len(self.problems))

    def lines(self) -> list[str]:
        out = [self.message]
        out += [f"  {p}" for p in self.problems]
        more = self.total - len(self.problems)
        if more > 0:
            out.append(
                "  "
                + ngettext("... and %(n)d more problem.", "... and %(n)d more problems.", more)
                % {"n": more}
            )
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "problems": [{"where": p.where, "reason": p.reason} for p in self.problems],
            "total_problems": self.total,
        }


@dataclass
class SchoolTally:
    events: int = 0
    students: set[str] = field(default_factory=set)  # pseudonymous codes only


@dataclass
class ImportReport:
    format: str = ""
    dry_run: bool = False
    read: int = 0
    applied: int = 0
    skipped: Counter = field(default_factory=Counter)
    by_category: Counter = field(default_factory=Counter)
    # created / updated / unchanged / present_not_stored (a present mark where nothing was
    # stored: a school day without a record already counts as present, so nothing is written)
    attendance: Counter = field(default_factory=Counter)
    observations: Counter = field(default_factory=Counter)  # created / unchanged
    calendar: Counter = field(default_factory=Counter)  # terms / closures created, unchanged
    students_created: int = 0
    students_unknown: int = 0  # not created: the import ran without --create-students
    schools: dict[str, SchoolTally] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0

    # -- collecting ---------------------------------------------------------------------
    def problem(self, where: str, reason: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(where, reason))

    def skip(self, reason: str, n: int = 1) -> None:
        if n:
            self.skipped[reason] += n
            self.applied -= n

    def tally(self, school_code: str, student_code: str) -> None:
        t = self.schools.setdefault(school_code, SchoolTally())
        t.events += 1
        t.students.add(student_code)

    def refuse_if_problems(self) -> None:
        n = self.problem_count
        if n:
            raise ImportRefused(
                ngettext(
                    "The file was refused and nothing was written: %(n)d problem.",
                    "The file was refused and nothing was written: %(n)d problems.",
                    n,
                )
                % {"n": n},
                self.problems,
                self.problem_count,
            )

    # -- totals -------------------------------------------------------------------------
    @property
    def created(self) -> int:
        """Records created: attendance, observations, calendar (students are counted apart)."""
        return self.attendance["created"] + self.observations["created"] + self.calendar["created"]

    @property
    def updated(self) -> int:
        return self.attendance["updated"] + self.calendar["updated"]

    @property
    def unchanged(self) -> int:
        return (
            self.attendance["unchanged"]
            + self.observations["unchanged"]
            + self.calendar["unchanged"]
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "dry_run": self.dry_run,
            "read": self.read,
            "applied": self.applied,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": dict(sorted(self.skipped.items())),
            "by_category": dict(sorted(self.by_category.items())),
            "attendance_records": {k: self.attendance[k] for k in _CUU},
            "by_kind": self.by_kind(),
            "observations": {k: self.observations[k] for k in ("created", "unchanged")},
            "calendar": dict(sorted(self.calendar.items())),
            "students_created": self.students_created,
            "students_unknown": self.students_unknown,
            "schools": {
                code: {"events": t.events, "students": len(t.students)}
                for code, t in sorted(self.schools.items())
            },
        }

    def by_kind(self) -> dict[str, dict[str, int]]:
        """What happened to each kind of record, apart."""
        named = sum(len(t.students) for t in self.schools.values())
        a = self.attendance
        return {
            "attendance": {
                "read": sum(a[k] for k in (*_CUU, "present_not_stored")),
                **{k: a[k] for k in _CUU},
                "present_not_stored": a["present_not_stored"],
            },
            "students": {
                "named": named,
                "created": self.students_created,
                "already_known": max(named - self.students_created - self.students_unknown, 0),
                "unknown": self.students_unknown,
            },
            "observations": {k: self.observations[k] for k in ("created", "unchanged")},
            "calendar": dict(sorted(self.calendar.items())),
        }

    def summary_lines(self) -> list[str]:
        """The report for the management command's output, in English (like its options)."""
        d = self.as_dict()
        kinds = d["by_kind"]
        head = "Dry run, nothing written. " if self.dry_run else ""
        att, students = kinds["attendance"], kinds["students"]
        out = [
            f"{head}Read {d['read']:,} record(s): {d['applied']:,} applied, "
            f"{sum(self.skipped.values()):,} skipped.",
            f"Created {d['created']:,}, updated {d['updated']:,}, unchanged {d['unchanged']:,} "
            "record(s).",
            f"  attendance (session records): read {att['read']:,}, created {att['created']:,}, "
            f"updated {att['updated']:,}, unchanged {att['unchanged']:,}, present marks not "
            f"stored {att['present_not_stored']:,} (a school day without a record is present)",
            f"  students: {students['named']:,} named, created {students['created']:,}, "
            f"already known {students['already_known']:,}",
        ]
        if self.observations:
            obs = kinds["observations"]
            out.append(
                f"  observations: created {obs['created']:,}, unchanged {obs['unchanged']:,}"
            )
        if self.students_unknown:
            out.append(
                f"  {self.students_unknown:,} unknown student(s) not created "
                "(run with --create-students to create them)."
            )
        for reason, n in sorted(self.skipped.items()):
            out.append(f"  skipped {n:,}: {reason}")
        for cat, n in sorted(self.by_category.items()):
            out.append(f"  read {n:,}: {cat}")
        for code, t in sorted(self.schools.items()):
            out.append(f"  school {code}: {t.events:,} event(s), {len(t.students):,} student(s)")
        return out


_CUU = ("created", "updated", "unchanged")
