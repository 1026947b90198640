# ruff: noqa: S608 -- the only names formatted into SQL are our own random temp-table names.
"""CSV attendance on PostgreSQL: the file COPYed as it is, checked and converted in SQL.

Reading a large CSV row by row in Python (csv_attendance.parse) costs more than everything the
database does with the rows. Here Python reads the header only and streams the file's bytes to
one COPY (CSV format) into a temporary table of text columns, one row a line. Python then sees
each *distinct* value of the four columns it uses, once: a school's file of a million marks
holds a few thousand student references, a year of dates, two sessions and a dozen codes. Each
distinct value goes through the very functions the row-by-row reader calls (the pseudonym, the
date formats, the register codes, the calendar), so both paths accept and refuse the same
values with the same messages; the answers go back as small tables that SQL joins to the lines.

Quoted fields (`"5000","2026-03-02","AM","N"`, as many exports write every field) are read by
csv.reader itself, chunk by chunk, and written to COPY plainly, so that both paths read the
same values. A file COPY cannot read exactly as csv.reader does falls back to the row-by-row
reader, with nothing written and nothing counted: a field that needs its quotes (a comma, a
quote or a line break inside it: COPY and the csv module disagree on quotes, and a quoted line
break would shift the line numbers), a NUL, a carriage return not followed by a line feed, a
line starting `\\.` (the end of COPY's data), a line whose number of fields differs from the
header's (a short or long row, a blank line before the end), or bytes that are not UTF-8. The
row-by-row reader then names those problems by line as it always did. Blank lines at the very
end are dropped, as it drops them.

All of this is checked in Python (fast scans of whole chunks of lines) before COPY reads a
byte: a COPY that fails quotes the offending line, student reference and all, in the database
server's log. The raw references are in the temporary table (never written to the write-ahead
log, dropped with the transaction) for as long as the import runs, and nowhere else.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import Callable, Iterator
from typing import BinaryIO

import psycopg
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

from ..models import School
from .codes import csv_status
from .context import ImportContext
from .csv_attendance import COLUMNS, SESSIONS, field_problems, header_index, parse_date
from .report import ImportReport, SchoolTally
from .slots import write_slots
from .writer import SinkOptions, check_one_mark_per_slot

CHUNK = 1 << 18  # bytes read and sent to COPY at a time (and a step of the progress bar)
# A date's verdict in the dates table: "" a school day to write; the calendar's skip reasons
# (weekend, closure_day, outside_terms); these two refuse the file.
BAD_DATE, REFUSED_DATE = "bad", "refused"


class NotForCopy(Exception):
    """The file needs the row-by-row reader; nothing was written or counted."""


def import_csv(
    stream: BinaryIO,
    *,
    school: School,
    ctx: ImportContext,
    options: SinkOptions,
    progress: Callable[[int], None] | None = None,
) -> bool:
    """Import a CSV attendance file by COPY, with the guarantees of the row-by-row reader
    (all or nothing, idempotent, the same problems by line). Returns False, having written
    and counted nothing, when the file must be read row by row instead (see the module's
    docstring); raises ImportRefused like the row-by-row reader."""
    try:
        with transaction.atomic():  # a savepoint: a failed COPY leaves the transaction usable
            _CopyImport(school=school, ctx=ctx, options=options).run(stream, progress)
    except NotForCopy:
        stream.seek(0)
        return False
    return True


class _CopyImport:
    def __init__(self, *, school: School, ctx: ImportContext, options: SinkOptions):
        self.school, self.ctx, self.options = school, ctx, options
        self.report: ImportReport = ctx.report
        name = f"import_csv_{uuid.uuid4().hex[:12]}"
        self.raw, self.final = name, f"{name}_final"
        self.refs, self.dates, self.sessions, self.codes = (
            f"{name}_{m}" for m in ("refs", "dates", "sessions", "codes")
        )

    def run(self, stream: BinaryIO, progress: Callable[[int], None] | None) -> None:
        width, index = _read_header(stream)
        with connection.cursor() as c:
            self.c: CursorWrapper = c
            self.used = {col: f"c{index[col]}" for col in COLUMNS}
            fields = ", ".join(f"c{i}" for i in range(width))
            c.execute(
                f"CREATE TEMP TABLE {self.raw} (line bigint GENERATED ALWAYS AS IDENTITY "
                f"(START WITH 2), {', '.join(f'c{i} text' for i in range(width))}) "
                "ON COMMIT DROP"
            )
            # FORCE_NOT_NULL: an empty field is '' as csv.reader reads it, not NULL.
            _copy_file(
                c,
                f"COPY {self.raw} ({fields}) FROM STDIN "
                f"(FORMAT csv, HEADER true, FORCE_NOT_NULL ({fields}))",
                stream,
                width,
                progress,
            )
            # From here on the file is COPY's to read: nothing falls back any more.
            # Room for the sorts and hashes over the lines (this transaction only), and
            # statistics: temp tables are never auto-analysed, and the joins are planned on them.
            c.execute("SET LOCAL work_mem = '64MB'")
            c.execute(f"ANALYZE {self.raw}")
            self._map_values()
            self._refuse_bad_lines()
            self._count()
            self._resolve_students()
            c.execute(
                f"CREATE TEMP TABLE {self.final} ON COMMIT DROP AS "
                "SELECT r.line, f.student_id, d.day AS date, s.session, k.status, "
                f"k.original_code {self._joined()} "
                "WHERE d.verdict = '' AND f.student_id IS NOT NULL"
            )
            check_one_mark_per_slot(c, self.final, self.options, self.report)
            o = self.options
            write_slots(c, self.final, o.source, self.report)
            tables = (self.final, self.raw, self.refs, self.dates, self.sessions, self.codes)
            c.execute(f"DROP TABLE {', '.join(tables)}")

    def _joined(self) -> str:
        u = self.used
        return (
            f"FROM {self.raw} r JOIN {self.refs} f ON f.value = r.{u['student_ref']} "
            f"JOIN {self.dates} d ON d.value = r.{u['date']} "
            f"JOIN {self.sessions} s ON s.value = r.{u['session']} "
            f"JOIN {self.codes} k ON k.value = r.{u['code']}"
        )

    def _map_values(self) -> None:
        """Each distinct value of the used columns, mapped once by the row-by-row reader's
        own functions, into four small tables (a NULL where the value is refused)."""
        u, c = self.used, self.c
        c.execute(
            f"SELECT grouping({u['student_ref']}, {u['date']}, {u['session']}), "
            f"coalesce({u['student_ref']}, {u['date']}, {u['session']}, {u['code']}), "
            f"count(*) FROM {self.raw} GROUP BY GROUPING SETS "
            f"(({u['student_ref']}), ({u['date']}), ({u['session']}), ({u['code']}))"
        )
        # grouping() sets a bit for each argument not grouped by: 0b011 -> the references,
        # 0b101 -> the dates, 0b110 -> the sessions, 0b111 -> the codes.
        counts: dict[int, dict[str, int]] = {0b011: {}, 0b101: {}, 0b110: {}, 0b111: {}}
        for bits, value, n in c.fetchall():
            counts[bits][value] = n
        self.rows = sum(counts[0b111].values())
        pseudonymiser, school_code = self.ctx.pseudonymiser, self.school.code
        self.ref_codes = {
            v: (pseudonymiser.code(school_code, v.strip()) if v.strip() else None)
            for v in counts[0b011]
        }
        cal = self.ctx.calendar(self.school)
        memo: dict[str, dt.date | None] = {}
        self.date_rows: dict[str, tuple[dt.date | None, str, int]] = {}
        for value, n in counts[0b101].items():
            day = parse_date(value, memo)
            if day is None:
                verdict = BAD_DATE
            elif cal.problem(day):
                verdict = REFUSED_DATE
            else:
                verdict = cal.reason(day) or ""
            self.date_rows[value] = (day, verdict, n)
        self.session_of = {v: SESSIONS.get(v.strip().upper()) for v in counts[0b110]}
        self.code_rows = {v: (csv_status(v), v.strip()[:60], n) for v, n in counts[0b111].items()}
        self._table(
            self.refs, "value text, code text, student_id bigint", self.ref_codes.items(), 2
        )
        self._table(
            self.dates,
            "value text, day date, verdict text",
            ((v, d, verdict) for v, (d, verdict, _n) in self.date_rows.items()),
        )
        self._table(self.sessions, "value text, session text", self.session_of.items())
        self._table(
            self.codes,
            "value text, status text, original_code text",
            ((v, status, original) for v, (status, original, _n) in self.code_rows.items()),
        )

    def _table(self, name: str, columns: str, rows, filled: int | None = None) -> None:
        self.c.execute(f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP")
        names = ", ".join([column.split()[0] for column in columns.split(", ")][:filled])
        with self.c.cursor.copy(f"COPY {name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        self.c.execute(f"ANALYZE {name}")

    def _refuse_bad_lines(self) -> None:
        """The lines with a refused value, the first 50 by line, worded as the row-by-row
        reader words them; nothing when every distinct value is good (the common case)."""
        report = self.report
        if (
            all(self.ref_codes.values())
            and all(
                verdict not in (BAD_DATE, REFUSED_DATE)
                for _d, verdict, _n in self.date_rows.values()
            )
            and all(self.session_of.values())
            and all(status for status, _o, _n in self.code_rows.values())
        ):
            return
        u = self.used
        self.c.execute(
            f"SELECT r.line, f.code IS NOT NULL, r.{u['date']}, s.session IS NOT NULL, "
            f"k.status IS NOT NULL, count(*) OVER () {self._joined()} "
            "WHERE f.code IS NULL OR d.verdict IN (%s, %s) OR s.session IS NULL "
            "OR k.status IS NULL ORDER BY r.line LIMIT %s",
            [BAD_DATE, REFUSED_DATE, 50],
        )
        lines = self.c.fetchall()
        cal = self.ctx.calendar(self.school)
        for line, ref_ok, date_text, session_ok, code_ok, _total in lines:
            day = self.date_rows[date_text][0]
            if ref_ok and day and session_ok and code_ok:
                reason = cal.problem(day)
            else:
                reason = field_problems(ref_ok, day, session_ok, code_ok)
            report.problem(self.options.where(line), reason)  # type: ignore[arg-type]
        report.problem_count += lines[0][5] - len(lines)
        report.read = report.applied = self.rows
        report.refuse_if_problems()

    def _count(self) -> None:
        """Read, applied, by category and by school, and the calendar's skips: what the
        row-by-row reader counts line by line, here from the distinct values' counts."""
        report = self.report
        report.read += self.rows
        report.applied += self.rows
        for status, _original, n in self.code_rows.values():
            report.by_category[status] += n
        tally = report.schools.setdefault(self.school.code, SchoolTally())
        tally.events += self.rows
        tally.students.update(code for code in self.ref_codes.values() if code)
        for _day, verdict, n in self.date_rows.values():
            if verdict:
                report.skip(verdict, n)

    def _resolve_students(self) -> None:
        """The student of each reference: created with --create-students, otherwise the
        lines of a student the service does not know are skipped and counted. Only the
        references of lines on a school day count, as in the row-by-row reader."""
        c, o, report, school_id = self.c, self.options, self.report, self.school.id
        staged = f"{self._joined()} WHERE d.verdict = ''"
        known = (
            f"UPDATE {self.refs} f SET student_id = s.id FROM schools_student s "
            "WHERE s.school_id = %s AND s.code = f.code"
        )
        c.execute(known, [school_id])
        if c.rowcount == len(self.ref_codes):
            return
        if o.create_students:
            # Only when some lines are skipped by the calendar can a reference have none left.
            on_school_days = (
                f"AND f.value IN (SELECT r.{self.used['student_ref']} {staged})"
                if any(verdict for _d, verdict, _n in self.date_rows.values())
                else ""
            )
            c.execute(
                "INSERT INTO schools_student (school_id, code, is_active, pseudonym_key_version, "
                f"created_at) SELECT DISTINCT %s, f.code, true, %s, now() FROM {self.refs} f "
                f"WHERE f.student_id IS NULL {on_school_days} "
                "ON CONFLICT (school_id, code) DO NOTHING",
                [school_id, o.key_version],
            )
            report.students_created += max(c.rowcount, 0)
            c.execute(known, [school_id])
        else:
            c.execute(f"SELECT count(DISTINCT f.code), count(*) {staged} AND f.student_id IS NULL")
            students, lines = c.fetchone()
            report.students_unknown += students
            report.skip("unknown_student", lines)


def _read_header(stream: BinaryIO) -> tuple[int, dict[str, int]]:
    """The header's number of columns, and where the used ones are. Refuses a file without
    the columns, as the row-by-row reader does; a header it would read otherwise than COPY
    (or not at all) is left to it."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        reader = csv.reader(text)
        header = next(reader, None)
        if header is None or reader.line_num != 1:
            raise NotForCopy
        return len(header), header_index(header)
    except (UnicodeDecodeError, csv.Error):
        raise NotForCopy from None
    finally:
        text.detach()


def _content_end(stream: BinaryIO) -> int:
    """Where the file's content ends: blank lines at the end are dropped, as csv_attendance
    skips them."""
    size = stream.seek(0, io.SEEK_END)
    tail_at = max(size - CHUNK, 0)
    stream.seek(tail_at)
    content = stream.read().rstrip(b" \t\r\n")
    if not content and tail_at:
        raise NotForCopy  # a long run of blank space: the row-by-row reader will judge it
    return tail_at + len(content)


def _lines(stream: BinaryIO, width: int, end: int, *, check: bool) -> Iterator[bytes]:
    """The file's bytes up to `end`, in chunks of whole lines with \\n line ends; with
    `check`, NotForCopy for a file COPY would read otherwise than csv.reader (the module's
    docstring)."""
    stream.seek(0)
    shape = b"," * (width - 1) + b"\n"  # no quotes: a line's fields are its commas plus one
    rest, left = b"", end
    while left > 0 and (chunk := stream.read(min(CHUNK, left))):
        left -= len(chunk)
        data = rest + chunk
        if left > 0:
            cut = data.rfind(b"\n") + 1
            data, rest = data[:cut], data[cut:]
        else:
            data, rest = data + b"\n", b""
        data = data.replace(b"\r\n", b"\n")
        if b'"' in data:
            data = _unquoted(data)
        if check and (
            b'"' in data
            or b"\x00" in data
            or b"\r" in data
            or data.startswith(b"\\.")
            or b"\n\\." in data
            or data.translate(None, _NOT_SHAPE) != shape * data.count(b"\n")
            or not _utf8(data)
        ):
            raise NotForCopy
        yield data


_NOT_SHAPE = bytes(b for b in range(256) if b not in b",\n")


def _unquoted(data: bytes) -> bytes:
    """`data` (whole lines, \\n line ends) with each line's fields as csv.reader reads them,
    quotes taken off and doubled quotes made single, joined by commas again: what COPY then
    reads plainly is what the row-by-row reader reads. A field that cannot be written without
    its quotes (a comma, a quote or a line break in it) makes a line the checks refuse, so the
    file goes row by row; so does a record over several lines (the line numbers would
    shift), or bytes that are not UTF-8."""
    try:
        lines = data.decode("utf-8").split("\n")[:-1]
        records = [",".join(row) for row in csv.reader(lines)]
    except (UnicodeDecodeError, csv.Error):
        raise NotForCopy from None
    if len(records) != len(lines):
        raise NotForCopy
    return ("\n".join(records) + "\n").encode()


def _utf8(data: bytes) -> bool:
    # Whole lines are whole characters: no byte of a multibyte UTF-8 character is a \n.
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _copy_file(
    cursor: CursorWrapper,
    sql: str,
    stream: BinaryIO,
    width: int,
    progress: Callable[[int], None] | None,
) -> None:
    """Stream the file to COPY as csv.reader would read it, or raise NotForCopy.

    The whole file is checked before COPY sees any of it: COPY's own error on a malformed
    line would quote the line, student reference and all, in the database server's log."""
    end = _content_end(stream)
    for _chunk in _lines(stream, width, end, check=True):
        pass
    done = 0
    try:
        with cursor.cursor.copy(sql) as copy:
            for chunk in _lines(stream, width, end, check=False):
                copy.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done)
    except psycopg.DataError:
        # Not expected after the checks; should it happen, the row-by-row reader decides.
        raise NotForCopy from None
