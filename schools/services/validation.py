"""The checks every write of recorded data makes: dates, signs, notes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError

from core.limits import validate_date_bounds
from core.screening import NOTE_MAX_LENGTH, clean_text, screen_note

from ..models import School
from ..signs import Sign


def validate_not_future(day: dt.date, school: School) -> None:
    """Refuse a date after today at the school (dates are school-local), or before
    RECORDS_EARLIEST_DATE."""
    validate_date_bounds(day)
    if day > school.today():
        raise ValidationError(
            "%(day)s is in the future at %(school)s; record what has happened.",
            code="future_date",
            params={"day": day.isoformat(), "school": school.code},
        )


def validate_signs(signs: Iterable[str]) -> list[str]:
    codes = list(dict.fromkeys(signs))
    if not codes:
        raise ValidationError("Choose at least one sign.", code="no_signs")
    unknown = [c for c in codes if c not in Sign.values]
    if unknown:
        raise ValidationError(
            "Unknown sign code %(codes)s. Known codes: %(known)s.",
            code="unknown_sign",
            params={"codes": ", ".join(unknown), "known": ", ".join(Sign.values)},
        )
    return codes


def validate_note(note: str) -> str:
    note = clean_text(note)
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError(
            "A note is at most %(max)d characters (this one has %(n)d).",
            code="note_too_long",
            params={"max": NOTE_MAX_LENGTH, "n": len(note)},
        )
    screen_note(note)
    return note
