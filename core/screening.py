"""Screening of free text: a note about a student must not carry an identifier.

One validator, used by the web forms and the API alike. It names what it found, so the member
of staff knows what to take out, and says why.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

NOTE_MAX_LENGTH = 500

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# A phone number: an optional +, then digits broken by spaces, dots, dashes or brackets,
# nine or more digits in all (the shortest national numbers in common use).
PHONE_RE = re.compile(r"(?<![\w])\+?\(?\d(?:[\s().-]*\d){8,}")
DIGIT_RUN_RE = re.compile(r"\d{6,}")
# Dates and times are what teachers write most often with digits in a note ("on 03.11 at
# 10:30", "2025-11-03"); they are set aside before looking for a phone number, so that they
# are not mistaken for one. A run of six digits is still refused wherever it stands.
DATE_OR_TIME_RE = re.compile(
    r"(?<![\d./:-])"  # stands alone: not the middle of a longer run of digits and dots
    r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}(?:[./-]\d{2,4})?|\d{1,2}[:h]\d{2})"
    r"(?!\d|[./:-]\d)"
)

WHY = (
    "Notes must not identify a student or a family: write what you saw, and use the "
    "student's code, never contact details or reference numbers."
)

# The sentence the forms show next to the note field before anything is submitted.
SCREENING_HELP = (
    "Keep it short and factual. Do not write names, e-mail addresses, phone numbers or "
    "reference numbers (six digits or more): notes containing them are refused."
)


def find_identifiers(text: str) -> list[str]:
    """Return what kinds of identifier `text` contains, in a stable order."""
    found = []
    if EMAIL_RE.search(text):
        found.append("an e-mail address")
    if PHONE_RE.search(DATE_OR_TIME_RE.sub(" ~ ", text)):
        found.append("a phone number")
    elif DIGIT_RUN_RE.search(text):
        found.append("a run of six or more digits")
    return found


@deconstructible
class NoteScreeningValidator:
    code = "identifier_in_note"

    def __call__(self, value: str) -> None:
        found = find_identifiers(value or "")
        if found:
            raise ValidationError(
                "This note contains %(what)s. %(why)s",
                code=self.code,
                params={"what": " and ".join(found), "why": WHY},
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoteScreeningValidator)


screen_note = NoteScreeningValidator()
