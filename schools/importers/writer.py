# ruff: noqa: S608 -- the only names formatted into SQL are our own random temp-table names.
"""Where a parser's attendance marks are staged, checked whole, then written.

Two interchangeable sinks with the same guarantees:

- PostgresSink (Ed-Fi on PostgreSQL, and a CSV file that csv_copy.py leaves to the row-by-row
  reader): rows are streamed with COPY into a temporary table while the file is read, then
  resolved, de-duplicated and written with set-based SQL (slots.py: one UPDATE of the changed
  records, one INSERT of the new exceptions). Memory stays flat whatever the file size.
- PythonSink (the embedded SQLite run, and a cross-check in the tests): the same steps in
  Python with the ORM; memory grows with the file.

Both run inside the caller's transaction, so a refusal anywhere leaves nothing behind; a record
already holding the same status and code is not touched, so a second import changes nothing,
and an updated file rewrites exactly the records whose status or code changed.

"Present" marks are not stored as new rows: a school day with no record already counts as
present. A present mark that meets a stored exception corrects it (the row becomes present).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import AttendanceRecord, AttendanceStatus, Observation, ObservationSign, Student
from .report import ImportReport
from .slots import write_slots

PRESENT = AttendanceStatus.PRESENT.value
# An import that wrote at least this many rows has the tables it filled analysed once it has
# committed: the rule evaluation's query plans depend on the statistics, and autovacuum may be
# off or far behind a bulk load (its threshold is a share of the table, checked from time to
# time). ANALYZE reads a fixed sample, so it costs well under a second at any size.
ANALYZE_AFTER_ROWS = 10_000


@dataclass(frozen=True)
class SinkOptions:
    create_students: bool
    strict_duplicates: bool  # CSV: a slot named twice is an error; Ed-Fi: the graver mark wins
    source: str
    key_version: int
    where: Callable[[int], str]  # record number -> "line 12" / "element X #12"


def analyzed_tables(report: ImportReport) -> list[str]:
    """The tables a large import filled, to be analysed: attendance when it wrote records,
    students when it created some, observations (and their signs) when it created some.
    None for an import that wrote fewer than ANALYZE_AFTER_ROWS rows in all."""
    filled = {
        AttendanceRecord._meta.db_table: report.attendance["created"]
        + report.attendance["updated"],
        Student._meta.db_table: report.students_created,
        Observation._meta.db_table: report.observations["created"],
        ObservationSign._meta.db_table: report.observations["created"],
    }
    if sum(filled.values()) - report.observations["created"] < ANALYZE_AFTER_ROWS:
        return []
    return [table for table, rows in filled.items() if rows]


def analyze_after_commit(report: ImportReport) -> None:
    """After a large import (PostgreSQL), ANALYZE the tables it filled once the import's
    transaction commits; nothing for a small one, a dry run or a refused file (their
    transaction never commits). A failing ANALYZE is logged and leaves the import as it is."""
    tables = analyzed_tables(report)
    if connection.vendor != "postgresql" or not tables:
        return

    def analyze() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(tables)}")

    transaction.on_commit(analyze, robust=True)


def _pair(first: str, last: str) -> str:
    """Where a slot named twice is: "line 2 and line 4"."""
    return _("%(first)s and %(last)s") % {"first": first, "last": last}


def _named_again(times: int) -> str:
    if times <= 2:
        return _("the same student, date and session appear more than once")
    return ngettext(
        "the same student, date and session appear more than once (%(n)d time)",
        "the same student, date and session appear more than once (%(n)d times)",
        times,
    ) % {"n": times}


def check_one_mark_per_slot(
    cursor: CursorWrapper, final: str, options: SinkOptions, report: ImportReport
) -> None:
    """Refuse the file when the staged table `final` names a student, date and session twice,
    naming the first and last line of each such slot (the first 50 slots, by first line)."""
    # A unique index is the cheapest check that no slot is named twice (a sort of narrow
    # keys); only when it fails are the offending lines looked for.
    try:
        with transaction.atomic():
            cursor.execute(f"CREATE UNIQUE INDEX ON {final} (student_id, date, session)")
        return
    except IntegrityError:
        pass
    cursor.execute(
        f"SELECT min(line), max(line), count(*), count(*) OVER () FROM {final} "
        "GROUP BY student_id, date, session HAVING count(*) > 1 "
        "ORDER BY min(line) LIMIT 50"
    )
    groups = cursor.fetchall()
    for first, last, times, _total in groups:
        report.problem(_pair(options.where(first), options.where(last)), _named_again(times))
    report.problem_count += groups[0][3] - len(groups)
    report.refuse_if_problems()


def make_sink(options: SinkOptions, *, force_python: bool = False):
    if connection.vendor == "postgresql" and not force_python:
        return PostgresSink(options)
    return PythonSink(options)


class PostgresSink:
    BATCH = 50_000  # rows held in memory between two COPYs

    def __init__(self, options: SinkOptions):
        self.options = options
        self.table = f"import_mark_{uuid.uuid4().hex[:12]}"
        self.final = f"{self.table}_final"
        # Opened by __enter__: the sink is used in a `with` block only.
        self._cursor: CursorWrapper
        self._buffer: list[tuple[Any, ...]] = []

    def __enter__(self):
        self._cursor = connection.cursor()
        self._cursor.execute(
            f"CREATE TEMP TABLE {self.table} (line integer, school_id bigint, code text, "
            "date date, session text, status text, original_code text, rank smallint) "
            "ON COMMIT DROP"
        )
        return self

    def add(self, line, school_id, code, date, session, status, original_code, rank) -> None:
        self._buffer.append((line, school_id, code, date, session, status, original_code, rank))
        if len(self._buffer) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        # COPY in batches, not one COPY for the whole file: while a COPY is open the
        # connection can run no other query, and the parsers look up schools and calendars.
        if self._buffer:
            with self._cursor.cursor.copy(f"COPY {self.table} FROM STDIN") as copy:
                for row in self._buffer:
                    copy.write_row(row)
            self._buffer.clear()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self._flush()
        else:
            self._buffer.clear()
            self._cursor.close()
        return False

    def _one(self, sql: str, params=()) -> tuple:
        self._cursor.execute(sql, params)
        return self._cursor.fetchone()

    def finish(self, report: ImportReport) -> None:
        """Resolve students, settle duplicates and upsert. Raises ImportRefused on a problem."""
        o, t, c = self.options, self.table, self._cursor
        # Room for the sorts and hashes over the staged rows (this transaction only).
        c.execute("SET LOCAL work_mem = '64MB'")
        c.execute(f"ANALYZE {t}")  # temp tables are never auto-analysed; the joins need it
        join = (
            f"FROM {t} m LEFT JOIN schools_student s "
            "ON s.school_id = m.school_id AND s.code = m.code WHERE s.id IS NULL"
        )
        if o.create_students:
            c.execute(
                "INSERT INTO schools_student (school_id, code, is_active, pseudonym_key_version, "
                f"created_at) SELECT DISTINCT m.school_id, m.code, true, %s, now() {join} "
                "ON CONFLICT (school_id, code) DO NOTHING",
                [o.key_version],
            )
            report.students_created += max(c.rowcount, 0)
        else:
            students, lines = self._one(
                f"SELECT count(DISTINCT (m.school_id, m.code)), count(DISTINCT m.line) {join}"
            )
            if students:
                report.students_unknown += students
                report.skip("unknown_student", lines)
                c.execute(
                    f"DELETE FROM {t} m USING {t} x LEFT JOIN schools_student s "
                    "ON s.school_id = x.school_id AND s.code = x.code "
                    "WHERE s.id IS NULL AND m.line = x.line"
                )
        student = (
            f"FROM {t} m JOIN schools_student s ON s.school_id = m.school_id AND s.code = m.code"
        )
        columns = "m.line, s.id AS student_id, m.date, m.session, m.status, m.original_code"
        if o.strict_duplicates:
            c.execute(
                f"CREATE TEMP TABLE {self.final} ON COMMIT DROP AS SELECT {columns} {student}"
            )
            check_one_mark_per_slot(c, self.final, o, report)
        else:
            c.execute(
                f"CREATE TEMP TABLE {self.final} ON COMMIT DROP AS "
                f"SELECT DISTINCT ON (m.school_id, m.code, m.date, m.session) {columns} {student} "
                "ORDER BY m.school_id, m.code, m.date, m.session, m.rank DESC, m.line DESC"
            )
            (superseded,) = self._one(
                f"SELECT count(*) FROM (SELECT line FROM {t} "
                f"EXCEPT SELECT line FROM {self.final}) x"
            )
            report.skip("superseded_same_session", superseded)
        write_slots(c, self.final, o.source, report)
        c.execute(f"DROP TABLE {self.final}; DROP TABLE {t}")
        c.close()


class PythonSink:
    def __init__(self, options: SinkOptions):
        self.options = options
        self.rows: list[tuple] = []

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        return False

    def add(self, line, school_id, code, date, session, status, original_code, rank) -> None:
        self.rows.append((line, school_id, code, date, session, status, original_code, rank))

    def finish(self, report: ImportReport) -> None:
        o = self.options
        keys = {(r[1], r[2]) for r in self.rows}
        school_ids = {k[0] for k in keys}
        known = {
            (s.school_id, s.code): s.pk
            for s in Student.objects.filter(school_id__in=school_ids).only(
                "pk", "school_id", "code"
            )
        }
        missing = sorted(keys - known.keys())
        if missing and o.create_students:
            created = Student.objects.bulk_create(
                [
                    Student(school_id=sid, code=code, pseudonym_key_version=o.key_version)
                    for sid, code in missing
                ]
            )
            known.update({(s.school_id, s.code): s.pk for s in created})
            report.students_created += len(created)
        elif missing:
            gone = set(missing)
            lines = {r[0] for r in self.rows if (r[1], r[2]) in gone}
            report.students_unknown += len(gone)
            report.skip("unknown_student", len(lines))
            self.rows = [r for r in self.rows if r[0] not in lines]
        slots: dict[tuple, list[tuple]] = {}
        for r in self.rows:
            slots.setdefault((known[(r[1], r[2])], r[3], r[4]), []).append(r)
        if o.strict_duplicates:
            for group in sorted(sorted(g) for g in slots.values() if len(g) > 1):
                report.problem(
                    _pair(o.where(group[0][0]), o.where(group[-1][0])), _named_again(len(group))
                )
            report.refuse_if_problems()
        winners = {k: max(g, key=lambda r: (r[7], r[0])) for k, g in slots.items()}
        winning_lines = {r[0] for r in winners.values()}
        report.skip("superseded_same_session", len({r[0] for r in self.rows} - winning_lines))
        student_ids = {k[0] for k in winners}
        dates = [k[1] for k in winners]
        current = {}
        if dates:
            current = {
                (a.student_id, a.date, a.session): a
                for a in AttendanceRecord.objects.filter(
                    student_id__in=student_ids, date__range=(min(dates), max(dates))
                )
            }
        now = timezone.now()
        to_create, to_update = [], []
        present_not_stored = 0
        for (student_id, date, session), r in winners.items():
            status, code = r[5], r[6]
            record = current.get((student_id, date, session))
            if record is None:
                present_not_stored += status == PRESENT
                if status != PRESENT:
                    to_create.append(
                        AttendanceRecord(
                            student_id=student_id,
                            date=date,
                            session=session,
                            status=status,
                            original_code=code,
                            source=o.source,
                        )
                    )
            elif (record.status, record.original_code) != (status, code):
                record.status, record.original_code = status, code
                record.source, record.recorded_by_id, record.updated_at = o.source, None, now
                to_update.append(record)
        AttendanceRecord.objects.bulk_create(to_create, batch_size=1000)
        AttendanceRecord.objects.bulk_update(
            to_update,
            ["status", "original_code", "source", "recorded_by", "updated_at"],
            batch_size=1000,
        )
        report.attendance["created"] += len(to_create)
        report.attendance["updated"] += len(to_update)
        report.attendance["present_not_stored"] += present_not_stored
        report.attendance["unchanged"] += (
            len(winners) - len(to_create) - len(to_update) - present_not_stored
        )
