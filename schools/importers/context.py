"""What the parsers share while one file is read: schools, the calendar policy, the sink."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils.translation import gettext as _

from core.limits import earliest_date

from ..models import ClosureDay, School, Term
from .codes import RANK
from .pseudonym import Pseudonymiser
from .report import ImportReport

# Why a dated record is not written (keys of the report's "skipped", read by programs). A date
# the school was not open (weekend, closure day, a weekday outside every term) is skipped and
# counted: nobody can be absent from a closed school, and rules count school days only. A
# future date is a problem that refuses the file.
WEEKEND = "weekend"
CLOSURE_DAY = "closure_day"
OUTSIDE_TERMS = "outside_terms"


class _Calendar:
    def __init__(self, school: School):
        self.terms = list(Term.objects.filter(school=school).values_list("starts_on", "ends_on"))
        self.closed = set(ClosureDay.objects.filter(school=school).values_list("date", flat=True))
        self.today = school.today()
        self.earliest = earliest_date()
        self._memo: dict[dt.date, str | None] = {}

    def problem(self, day: dt.date) -> str | None:
        """Why a date refuses the file (in the future, before the earliest date), or None."""
        if day > self.today:
            return _("%(date)s is in the future at the school") % {"date": day.isoformat()}
        if day < self.earliest:
            return _(
                "%(date)s is before %(earliest)s, the earliest date recorded "
                "(RECORDS_EARLIEST_DATE)"
            ) % {"date": day.isoformat(), "earliest": self.earliest.isoformat()}
        return None

    def reason(self, day: dt.date) -> str | None:
        try:
            return self._memo[day]
        except KeyError:
            pass
        if day.weekday() >= 5:
            why = WEEKEND
        elif day in self.closed:
            why = CLOSURE_DAY
        elif not any(start <= day <= end for start, end in self.terms):
            why = OUTSIDE_TERMS
        else:
            why = None
        self._memo[day] = why
        return why


class ImportContext:
    def __init__(self, *, report: ImportReport, pseudonymiser: Pseudonymiser, sink):
        self.report = report
        self.pseudonymiser = pseudonymiser
        self.sink = sink
        self._calendars: dict[int, _Calendar] = {}

    def calendar(self, school: School) -> _Calendar:
        cal = self._calendars.get(school.id)
        if cal is None:
            cal = self._calendars[school.id] = _Calendar(school)
        return cal

    def student_code(self, school: School, reference: str) -> str:
        return self.pseudonymiser.code(school.code, reference)

    def mark(
        self,
        *,
        number: int,
        where: str | Callable[[int], str],
        school: School,
        student_code: str,
        date: dt.date,
        sessions: tuple[str, ...],
        status: str,
        original_code: str,
    ) -> None:
        """Stage the marks of one record that has been read and counted as applied.

        `where` names the record in a problem; a function of `number` is called only then,
        which spares a string per row of a large CSV.
        """
        cal = self.calendar(school)
        problem = cal.problem(date)
        if problem:
            self.report.problem(where(number) if callable(where) else where, problem)
            return
        why = cal.reason(date)
        if why:
            self.report.skip(why)
            return
        rank = RANK[status]
        for session in sessions:
            self.sink.add(
                number, school.id, student_code, date, session, status, original_code, rank
            )
