"""CSV attendance: one register mark a row, with a header naming the columns.

    student_ref,date,session,code
    604822,2025-09-03,AM,I

The student reference is the school information system's id for the student; it is turned
into a pseudonymous code at once and never kept. The code is an England register code or one of
the service's status names (codes.py). Rows are read as a stream; values are never echoed in a
problem message, since a shifted column could put a student reference where a date should be.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import BinaryIO

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import RecordSource, School, Session
from .codes import csv_status
from .context import ImportContext
from .report import ImportRefused, SchoolTally

FORMAT = "csv"
SOURCE = RecordSource.IMPORT_CSV

COLUMNS = {
    "student_ref": ("student_ref", "student_reference", "student", "reference", "upn", "pupil"),
    "date": ("date",),
    "session": ("session",),
    "code": ("code", "mark", "status"),
}
SESSIONS = {"AM": Session.AM, "PM": Session.PM}


def where(number: int) -> str:
    return _("line %(n)d") % {"n": number}


def header_index(header: list[str]) -> dict[str, int]:
    names = [h.strip().lower().lstrip("\ufeff") for h in header]
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
                "This is not an attendance CSV, so nothing was written: line 1 must be a header "
                "naming the columns student_ref, date, session and code (missing: %(missing)s)."
            )
            % {"missing": ", ".join(missing)}
        )
    return index


def parse_date(text: str, memo: dict[str, dt.date | None]) -> dt.date | None:
    try:
        return memo[text]
    except KeyError:
        pass
    value = None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            value = dt.datetime.strptime(text.strip(), fmt).date()
            break
        except ValueError:
            continue
    memo[text] = value
    return value


def field_problems(ref: object, day: object, session: object, status: object) -> str:
    """The reasons a row's values are refused, each value given as read or None when bad."""
    return _("; ").join(
        msg
        for ok, msg in (
            (ref, _("the student reference is empty")),
            (day, _("the date is not a date (use YYYY-MM-DD or DD/MM/YYYY)")),
            (session, _("the session is not AM or PM")),
            (status, _("the code is not a register code or status name (docs/IMPORTS.md)")),
        )
        if not ok
    )


def parse(
    stream: BinaryIO,
    *,
    school: School,
    ctx: ImportContext,
    progress: Callable[[int], None] | None = None,
) -> None:
    report = ctx.report
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader, None)
        if header is None:
            raise ImportRefused(_("The file is empty, so nothing was written."))
        index = header_index(header)
        i_ref, i_date, i_session, i_code = (index[c] for c in COLUMNS)
        width = max(index.values()) + 1
        dates: dict[str, dt.date | None] = {}
        tally = report.schools.setdefault(school.code, SchoolTally())
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            number = reader.line_num
            report.read += 1
            report.applied += 1
            if progress is not None and report.read % 20000 == 0:
                progress(stream.tell())
            if len(row) < width:
                report.problem(
                    where(number),
                    ngettext(
                        "expected %(width)d columns, found %(found)d",
                        "expected %(width)d columns, found %(found)d",
                        len(row),
                    )
                    % {"width": width, "found": len(row)},
                )
                continue
            ref = row[i_ref].strip()
            day = parse_date(row[i_date], dates)
            session = SESSIONS.get(row[i_session].strip().upper())
            status = csv_status(row[i_code])
            if not (ref and day and session and status):
                report.problem(where(number), field_problems(ref, day, session, status))
                continue
            report.by_category[status] += 1
            code = ctx.student_code(school, ref)
            tally.events += 1
            tally.students.add(code)
            ctx.mark(
                number=number,
                where=where,
                school=school,
                student_code=code,
                date=day,
                sessions=(session,),
                status=status,
                original_code=row[i_code].strip()[:60],
            )
    except UnicodeDecodeError:
        raise ImportRefused(
            _("The file is not UTF-8 text (near line %(line)d), so nothing was written.")
            % {"line": reader.line_num + 1}
        ) from None
    except csv.Error as e:
        raise ImportRefused(
            _("The file is not a readable CSV at line %(line)d (%(error)s); nothing was written.")
            % {"line": reader.line_num, "error": e}
        ) from None
    finally:
        text.detach()
