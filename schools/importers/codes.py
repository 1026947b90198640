"""Mapping tables: register codes and Ed-Fi categories -> the service's attendance statuses.

Documented, with the reasons, in docs/IMPORTS.md. Keep the two in step.
"""

from __future__ import annotations

import datetime as dt

from ..models import AttendanceStatus as S
from ..models import Session

# England's register codes (DfE "Working together to improve school attendance", August 2024),
# plus the pre-2024 codes still found in older exports. Attending off-site (an approved
# educational activity) counts as present; "not counted" codes are not a possible session.
ENGLAND_CODES: dict[str, str] = {
    # present
    "/": S.PRESENT,  # present, morning
    "\\": S.PRESENT,  # present, afternoon
    "L": S.LATE,  # late, before the register closed
    # attending an approved educational activity (present, off-site)
    "K": S.PRESENT,  # education provision arranged by the local authority
    "V": S.PRESENT,  # educational visit or trip
    "P": S.PRESENT,  # approved sporting activity
    "W": S.PRESENT,  # work experience
    "B": S.PRESENT,  # any other approved educational activity (pre-2024: educated off site)
    # authorised absence (leave of absence and other authorised reasons)
    "C": S.AUTHORISED_ABSENCE,  # exceptional circumstances (pre-2024: other authorised)
    "C1": S.AUTHORISED_ABSENCE,  # regulated performance or employment abroad
    "C2": S.AUTHORISED_ABSENCE,  # part-time timetable
    "E": S.AUTHORISED_ABSENCE,  # suspended or excluded, no alternative provision
    "I": S.AUTHORISED_ABSENCE,  # illness
    "J1": S.AUTHORISED_ABSENCE,  # interview
    "M": S.AUTHORISED_ABSENCE,  # medical or dental appointment
    "R": S.AUTHORISED_ABSENCE,  # religious observance
    "S": S.AUTHORISED_ABSENCE,  # study leave
    "T": S.AUTHORISED_ABSENCE,  # parent travelling for work (pre-2024: Traveller absence)
    # unauthorised absence
    "G": S.UNAUTHORISED_ABSENCE,  # holiday not authorised
    "N": S.UNAUTHORISED_ABSENCE,  # reason not yet provided
    "O": S.UNAUTHORISED_ABSENCE,  # other or unknown circumstances
    "U": S.UNAUTHORISED_ABSENCE,  # arrived after the register closed
    # not counted: not a possible session
    "D": S.NOT_REQUIRED,  # dual registered, attending the other school
    "Q": S.NOT_REQUIRED,  # unable to attend: lack of access arrangements
    "X": S.NOT_REQUIRED,  # not required to attend (non-compulsory school age)
    "Y1": S.NOT_REQUIRED,  # transport not available
    "Y2": S.NOT_REQUIRED,  # widespread travel disruption
    "Y3": S.NOT_REQUIRED,  # part of the premises closed
    "Y4": S.NOT_REQUIRED,  # whole site unexpectedly closed
    "Y5": S.NOT_REQUIRED,  # in criminal justice detention
    "Y6": S.NOT_REQUIRED,  # public health guidance or law
    "Y7": S.NOT_REQUIRED,  # any other unavoidable cause
    "Z": S.NOT_REQUIRED,  # not on roll yet
    "#": S.NOT_REQUIRED,  # planned whole-school closure
    # pre-2024 codes still found in older exports
    "H": S.AUTHORISED_ABSENCE,  # holiday authorised by the school
    "F": S.AUTHORISED_ABSENCE,  # extended family holiday (agreed), withdrawn 2013
    "J": S.AUTHORISED_ABSENCE,  # interview (now J1)
    "Y": S.NOT_REQUIRED,  # enforced closure (now Y1-Y7)
}

# The service's own status names are accepted too (an export from this service, or a hand-made
# file): present, late, authorised_absence, unauthorised_absence, not_required.
STATUS_NAMES: dict[str, str] = {s.value: s.value for s in S}


def csv_status(code: str) -> str | None:
    """The status for a CSV code, or None when the code is not known."""
    code = code.strip()
    if code.lower() in STATUS_NAMES:
        return STATUS_NAMES[code.lower()]
    return ENGLAND_CODES.get(code.upper())


# When several marks of one import land on the same student, date and session (an Ed-Fi
# absence and a tardy on one day), the more serious one wins.
RANK: dict[str, int] = {
    S.PRESENT: 1,
    S.NOT_REQUIRED: 2,
    S.LATE: 3,
    S.AUTHORISED_ABSENCE: 4,
    S.UNAUTHORISED_ABSENCE: 5,
}

# The afternoon session starts at noon: an Ed-Fi arrival time from then on is afternoon.
PM_STARTS = dt.time(12, 0)

BOTH = (Session.AM, Session.PM)

# Ed-Fi AttendanceEventCategoryDescriptor code value -> status. Ed-Fi events are daily (school
# level) or per class period (section level); see edfi_sessions() for the sessions each covers.
EDFI_CATEGORIES: dict[str, str] = {
    "Excused Absence": S.AUTHORISED_ABSENCE,
    "Unexcused Absence": S.UNAUTHORISED_ABSENCE,
    "Tardy": S.LATE,
    "Partial": S.LATE,
    "Early departure": S.LATE,
    "In Attendance": S.PRESENT,
    "Present": S.PRESENT,
}


def edfi_sessions(
    category: str,
    *,
    duration: float | None,
    arrival: dt.time | None,
    departure: dt.time | None,
) -> tuple[str, ...]:
    """The sessions (AM/PM) a daily Ed-Fi event covers.

    - An absence or a presence covers the whole day (both sessions), unless EventDuration says
      half a day or less: then the morning, or the afternoon when a departure time is given.
    - A tardy is late in the session its arrival time falls in (morning when no time is given);
      Ed-Fi called it late, not absent, so no absence is inferred for the morning.
    - An early departure is late in the afternoon (our "late" covers "left early"), or in the
      morning when the departure time is before noon.
    - A partial-day event is late in the morning when an arrival time is given, otherwise in the
      afternoon (left early).
    """
    status = EDFI_CATEGORIES[category]
    if status in (S.AUTHORISED_ABSENCE, S.UNAUTHORISED_ABSENCE, S.PRESENT):
        if duration is not None and 0 < duration <= 0.5:
            return (Session.PM,) if departure is not None else (Session.AM,)
        return BOTH
    if category == "Tardy":
        return (_session_at(arrival) if arrival else Session.AM,)
    if category == "Early departure":
        return (_session_at(departure) if departure else Session.PM,)
    # Partial
    return (_session_at(arrival),) if arrival else (Session.PM,)


def _session_at(t: dt.time) -> str:
    return Session.PM if t >= PM_STARTS else Session.AM
