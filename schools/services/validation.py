"""The checks every write of recorded data makes: dates, signs, notes, and the whole of an
observation. The pages, the API and the importers reach them through the services (the API's
serializers call them too, to name each bad row of a batch before anything is written)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.limits import validate_date_bounds
from core.screening import NOTE_MAX_LENGTH, clean_text, screen_note

from ..models import School, refuse_future
from ..signs import Sign


def validate_not_future(day: dt.date, school: School, field: str | None = None) -> None:
    """Refuse a date after today at the school (dates are school-local), or before
    RECORDS_EARLIEST_DATE. With `field`, the error names that field."""
    try:
        validate_date_bounds(day)
        refuse_future(day, school)
    except ValidationError as e:
        if field is None:
            raise
        raise ValidationError({field: e.error_list}) from e


# Sign.values builds its list anew on every read; this is checked on every observation.
_SIGN_CODES = frozenset(Sign.values)


def validate_signs(signs: Iterable[str]) -> list[str]:
    codes = list(dict.fromkeys(signs))
    if not codes:
        raise ValidationError(_("Choose at least one sign."), code="no_signs")
    unknown = [c for c in codes if c not in _SIGN_CODES]
    if unknown:
        raise ValidationError(
            _("Unknown sign code %(codes)s. Known codes: %(known)s."),
            code="unknown_sign",
            params={"codes": ", ".join(unknown), "known": ", ".join(Sign.values)},
        )
    return codes


def validate_note(note: str) -> str:
    note = clean_text(note)
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError(
            _("A note is at most %(max)d characters (this one has %(n)d)."),
            code="note_too_long",
            params={"max": NOTE_MAX_LENGTH, "n": len(note)},
        )
    screen_note(note)
    return note


def observation_clean(
    *, school: School, observed_on: dt.date, signs: Iterable[str], note: str = ""
) -> tuple[list[str], str]:
    """Everything an observation must meet, wherever it comes from: a date neither in the
    future at `school` nor before RECORDS_EARLIEST_DATE, at least one known sign, a note
    within the length that passes screening. Returns the signs (each once) and the cleaned
    note; raises one ValidationError naming every bad field (observed_on, signs, note)."""
    errors: dict[str, list[ValidationError]] = {}
    codes: list[str] = []
    clean_note = ""
    try:
        validate_not_future(observed_on, school)
    except ValidationError as e:
        errors["observed_on"] = e.error_list
    try:
        codes = validate_signs(signs)
    except ValidationError as e:
        errors["signs"] = e.error_list
    try:
        clean_note = validate_note(note)
    except ValidationError as e:
        errors["note"] = e.error_list
    if errors:
        raise ValidationError(errors)
    return codes, clean_note
