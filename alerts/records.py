"""What the engine reads of a school: its school days up to a date, and the rows on them
(observation signs, register exceptions) of the students on roll, as plain tuples for the
pure counting of alerts/counting.py. Two queries for the rows, whatever the number of
students; nothing here decides or writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db.models import F, Min, Q

from schools.calendar import CalendarRead, school_days_between
from schools.models import AttendanceRecord, AttendanceStatus, ObservationSign, School, Term
from schools.signs import CONTEXT_SIGNS, Sign

from . import counting
from .models import WarningRule

# Calendar days read first to find enough school days (terms, holidays and all); when they
# hold fewer than needed, the calendar is read back to the school's first term.
CALENDAR_LOOKBACK = dt.timedelta(days=550)

ABSENT = {AttendanceStatus.AUTHORISED_ABSENCE.value, AttendanceStatus.UNAUTHORISED_ABSENCE.value}
# Plain strings for the row loop: an enum member's attribute access costs more than the rest
# of the loop body together.
_LATE, _NOT_REQUIRED = AttendanceStatus.LATE.value, AttendanceStatus.NOT_REQUIRED.value
_SIGN_LATE, _SIGN_ABSENCE = Sign.LATE.value, Sign.ABSENCE.value


@dataclass
class Rows:
    """What the engine read for one school: the calendar and the rows on it."""

    days: list[dt.date]
    events: list[counting.SignEvent] = field(default_factory=list)
    marks: list[counting.Mark] = field(default_factory=list)
    # The date of each record, for evidence rows.
    ref_dates: dict[tuple[str, int], dt.date] = field(default_factory=dict)
    # Context signs (student, date, sign) on any day, school or not: bullying or strain at
    # home is reported on the day it happened, and it is not counted in a rule's windows.
    context: list[tuple[int, dt.date, str]] = field(default_factory=list)

    def without_before(self, cutoffs: Mapping[int, dt.date]) -> Rows:
        """These rows minus each student's rows dated on or before their cutoff date."""
        if not cutoffs:
            return self
        index = {d: i for i, d in enumerate(self.days)}
        # A cutoff is a date; rows on school days up to and including it are dropped.
        limits = {sid: _last_index_on_or_before(self.days, index, d) for sid, d in cutoffs.items()}
        return Rows(
            days=self.days,
            events=[e for e in self.events if e.day > limits.get(e.student, -1)],
            marks=[m for m in self.marks if m.day > limits.get(m.student, -1)],
            ref_dates=self.ref_dates,
            context=self.context,
        )


def _last_index_on_or_before(days: Sequence[dt.date], index: dict, day: dt.date) -> int:
    if day in index:
        return index[day]
    # Not a school day: the last school day before it (binary search would do; lists are short).
    earlier = [i for i, d in enumerate(days) if d < day]
    return earlier[-1] if earlier else -1


def school_days_until(
    school: School, on_date: dt.date, count: int, *, calendar: CalendarRead | None = None
) -> list[dt.date]:
    """The last `count` school days up to and including `on_date` (two queries; three more
    when the last CALENDAR_LOOKBACK holds fewer: then the calendar is read back to the
    school's first term, so a long history is never cut short silently). `calendar`: the
    calendar already read, when it covers the span."""
    days = school_days_between(school, on_date - CALENDAR_LOOKBACK, on_date, calendar=calendar)
    if len(days) < count:
        first = Term.objects.filter(school=school, starts_on__lte=on_date).aggregate(
            first=Min("starts_on")
        )["first"]
        if first is not None and first < on_date - CALENDAR_LOOKBACK:
            days = school_days_between(school, first, on_date)
    return days[-count:]


def on_roll(prefix: str, date_field: str) -> Q:
    """Rows of students on roll on the row's date: active ones, and those who left on or
    after it (a leaver's records count for the days they were at the school)."""
    return Q(**{f"{prefix}left_on__isnull": True, f"{prefix}is_active": True}) | Q(
        **{f"{prefix}left_on__gte": F(date_field)}
    )


def load_rows(
    school: School,
    days: Sequence[dt.date],
    *,
    signs: Iterable[str],
    register: bool = True,
    last_days: int | None = None,
    students: Collection[int] | None = None,
    register_students: Collection[int] | None = None,
) -> Rows:
    """Read the observation signs in `signs` and the register exceptions on `days` of the
    school's students on roll on each row's date (only the last `last_days` of them, and only
    `students`, when given; the register of `register_students` only, when given): two
    queries, whatever the number of students. Day indices are into `days`."""
    rows = Rows(days=list(days))
    if not days or (students is not None and not students):
        return rows
    index = {d: i for i, d in enumerate(days)}
    start, end = days[-min(last_days, len(days))] if last_days else days[0], days[-1]
    student_filter = {"student_id__in": list(students)} if students is not None else {}
    signs = sorted(set(signs))
    if signs:
        # No default ordering: it would sort every row (and join the school) for nothing.
        observed = (
            ObservationSign.objects.filter(
                on_roll("observation__student__", "observation__observed_on"),
                observation__student__school=school,
                # A withdrawn observation never counts.
                observation__withdrawn_at__isnull=True,
                observation__observed_on__range=(start, end),
                sign__in=signs,
                **{f"observation__{k}": v for k, v in student_filter.items()},
            )
            .order_by()
            .values_list(
                "observation__student_id",
                "observation__observed_on",
                "sign",
                "observation__recorded_by_id",
                "observation_id",
            )
        )
        # One fetch, not a server-side cursor's declare, fetches and close: every row is kept
        # below anyway, as a row of `rows`.
        for student_id, on, sign, observer, obs_id in observed:
            if sign in CONTEXT_SIGNS:
                rows.context.append((student_id, on, sign))
            day = index.get(on)
            if day is None:
                continue
            ref = ("observation", obs_id)
            rows.events.append(counting.SignEvent(student_id, day, sign, observer, ref))
            rows.ref_dates[ref] = on
    if register_students is not None:
        register = register and bool(register_students)
        student_filter = {"student_id__in": list(register_students)}
    if register:
        marks = (
            AttendanceRecord.objects.filter(
                on_roll("student__", "date"),
                student__school=school,
                date__range=(start, end),
                **student_filter,
            )
            .order_by()
            # Only the exceptions matter: a session with no record, or marked present,
            # counts as attended.
            .exclude(status=AttendanceStatus.PRESENT)
            .values_list("student_id", "date", "status", "id")
        )
        for student_id, on, status, record_id in marks:
            day = index.get(on)
            if day is None:
                continue
            absent = status in ABSENT
            not_required = status == _NOT_REQUIRED
            rows.marks.append(counting.Mark(student_id, day, absent, not_required, record_id))
            ref = ("attendance", record_id)
            rows.ref_dates[ref] = on
            # A register mark is also a sign for the rules that count the register.
            mark_sign = _SIGN_LATE if status == _LATE else _SIGN_ABSENCE if absent else None
            if mark_sign is not None:
                rows.events.append(
                    counting.SignEvent(student_id, day, mark_sign, counting.REGISTER, ref)
                )
    return rows


def events_for(rule: WarningRule, rows: Rows) -> list[counting.SignEvent]:
    """The events a rule counts: register events only when it uses the register."""
    if rule.use_register:
        return rows.events
    return [e for e in rows.events if e.ref[0] == "observation"]
