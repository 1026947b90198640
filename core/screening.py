"""Screening of free text: a note about a student must not carry an identifier.

One validator, used by the web forms, the API and the models alike. It names what it found, so
the member of staff knows what to take out, and says why; it never repeats the identifier.

The screen looks at a normalised copy of the note, never stored, so that a disguise does not
hide an identifier: Unicode NFKC (full-width, superscript, circled and mathematical digits and
letters become plain ones, a full-width @ an @), invisible format characters removed (zero-width
spaces and joiners, soft hyphens, bidirectional overrides), every dash and ideographic comma or
full stop made one plain character. Then it looks for an e-mail address, also spelled out or
bracketed ("at", "[dot]", "アットマーク", "chiocciola"), a phone number and a run of six or more
digits, also with slashes, underscores, commas or dots between the digits. Dates, times and
scores ("10/12/2026", "14:30-15:15", "45/100") are set aside first, so that they are not
mistaken for one. core/static/js/screening.js runs the same steps in the browser.

What is stored is the text as written, less its invisible characters (`clean_text`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    # What the mixin below is mixed into, for the type checker: a model field.
    _FieldBase = models.Field[Any, Any]
else:
    _FieldBase = object

NOTE_MAX_LENGTH = 500

# --- Messages: every sentence the screening shows, here and in the browser ------------------

WHAT = {
    "email": _("an e-mail address"),
    "phone": _("a phone number"),
    "digits": _("a run of six or more digits"),
}

WHY = _(
    "Notes must not identify a student or a family: write what you saw, and use the "
    "student's code, never contact details or reference numbers."
)

REFUSAL = _("This note contains %(what)s. %(why)s")
BOTH = _("%(first)s and %(second)s")
# The counter under a note; the browser fills in %(count)s and %(max)s.
COUNT = _("%(count)s of %(max)s characters")

# The sentence the forms show next to the note field before anything is submitted.
SCREENING_HELP = _(
    "Keep it short and factual. Do not write names, e-mail addresses, phone numbers or "
    "reference numbers (six digits or more), however they are spelled or split: notes "
    "containing them are refused."
)


def browser_messages() -> dict:
    """The messages core/static/js/screening.js shows, in the reader's language."""
    return {"what": WHAT, "why": WHY, "refusal": REFUSAL, "both": BOTH, "count": COUNT}


# --- Stored text: the text as written, less what cannot be seen ----------------------------

# Format characters (category Cf: zero-width space, joiners, word joiner, BOM, soft hyphen,
# left-to-right and right-to-left marks, embeddings, overrides and isolates, U+202A-202E and
# U+2066-2069) and control characters other than tab and line breaks. None of them shows on
# a page; they can hide an identifier from a reader or turn the text around on the screen.
_KEPT_CONTROLS = frozenset("\t\n\r")


def _is_invisible(char: str) -> bool:
    category = unicodedata.category(char)
    return category == "Cf" or (category == "Cc" and char not in _KEPT_CONTROLS)


def clean_text(text: str | None) -> str:
    """Return `text` without invisible characters and surrounding white space: what every
    stored free text (notes, reasons, rule names and descriptions) holds."""
    if not text:
        return ""
    return "".join(c for c in text if not _is_invisible(c)).strip()


class _CleanTextMixin(_FieldBase):
    """A model field whose value loses its invisible characters whenever the model is
    validated (full_clean: admin pages, model forms, the rule services).

    Stored exactly like its parent field, so migrations see the parent: the value a row holds
    is a plain string either way, and no migration is needed to use it."""

    migration_path: str

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return clean_text(value) if isinstance(value, str) else value

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, self.migration_path, args, kwargs


class CleanTextField(_CleanTextMixin, models.TextField):
    migration_path = "django.db.models.TextField"


class CleanCharField(_CleanTextMixin, models.CharField):
    migration_path = "django.db.models.CharField"


# --- Normalisation: what the screen looks at -----------------------------------------------

# After NFKC, the characters that still stand for a dash, a comma or a full stop between
# digits: hyphens and dashes (U+2010-2015), the minus sign, the ideographic comma and full
# stop, the katakana middle dot and the wave dash of Japanese ranges ("9:00〜10:30").
_FOLD = str.maketrans(
    {
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58", "-"),
        "\u3001": ",",
        "\u3002": ".",
        "\u30fb": ".",
        "\u301c": "~",
    }
)
# The Japanese long vowel mark (U+30FC) is typed for a hyphen in phone numbers; inside a word
# ("アットマーク") it stays what it is.
_LONG_VOWEL_BY_DIGIT_RE = re.compile(r"(?<=\d)\u30fc|\u30fc(?=\d)")
_SPACES_RE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """The form of `text` that the screen looks at (never stored)."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if not _is_invisible(c))
    text = _LONG_VOWEL_BY_DIGIT_RE.sub("-", text.translate(_FOLD))
    return _SPACES_RE.sub(" ", text)


# --- Dates, times and scores: set aside before looking for numbers -------------------------

# ASCII digits only (after NFKC): a date in another script's digits is not set aside, and
# the screen stays the stricter for it.
_ONE_DATE_OR_TIME = (
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"  # 2025-11-03
    r"|[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}"  # 2025/11/03
    r"|[0-9]{4}\.[0-9]{1,2}\.[0-9]{1,2}"  # 2025.11.03
    r"|[0-9]{1,2}/[0-9]{1,3}(?:/(?:[0-9]{4}|[0-9]{2}))?"  # 3/11, 10/12/2026, 45/100
    r"|[0-9]{1,2}\.[0-9]{1,2}(?:\.(?:[0-9]{4}|[0-9]{2}))?"  # 3.11, 12.12.2026, 9.15
    r"|[0-9]{1,2}-[0-9]{1,2}-(?:[0-9]{4}|[0-9]{2})"  # 3-11-2026
    r"|[0-9]{1,2}[:h][0-9]{2}(?::[0-9]{2})?"  # 14:30, 10h30, 14:30:05
    r"|[0-9]{4}[-/.][0-9]{1,2}|[0-9]{1,2}[-/.][0-9]{4}"  # 2026/11, 09/2025
    r"|[0-9]{1,3}/[0-9]{1,3}"  # 134/200
)
# Stands alone (not the middle of a longer run of digits and dots), or is a range of two
# ("3/11-5/11", "14:30-15:15", "9:00~10:30").
DATE_OR_TIME_RE = re.compile(
    rf"(?<![0-9./:-])(?:{_ONE_DATE_OR_TIME})(?:-(?:{_ONE_DATE_OR_TIME})|~(?:{_ONE_DATE_OR_TIME}))?"
    r"(?![0-9]|[./:-][0-9])"
)
_PART_RE = re.compile(rf"(?:{_ONE_DATE_OR_TIME})")


def _is_day_month(a: int, b: int) -> bool:
    # Day first or month first: both are written.
    return (1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31)


def _is_date_time_or_score(part: str) -> bool:
    texts = re.split(r"[-/.:h]", part)
    numbers = [int(n) for n in texts]
    # A year is this century or the last: "10/12/4471" and "4471/12" hide a reference.
    years = [n for t, n in zip(texts, numbers, strict=True) if len(t) == 4]
    if any(not 1900 <= y <= 2099 for y in years):
        return False
    if len(texts[0]) == 4:
        return 1 <= numbers[1] <= 12 and (len(numbers) == 2 or 1 <= numbers[2] <= 31)
    if len(numbers) == 2 and len(texts[1]) == 4:
        return 1 <= numbers[0] <= 12
    if ":" in part or "h" in part:
        return numbers[0] <= 24 and all(n <= 59 for n in numbers[1:])
    if len(numbers) == 3:
        return _is_day_month(numbers[0], numbers[1])
    a, b = numbers
    if "/" in part and 0 <= a <= b and b > 0:
        return True  # a mark out of a total: 45/100, 134/200
    if "." in part and a <= 24 and b <= 59:
        return True  # a time: 9.15, 14.45
    return _is_day_month(a, b)


def _set_aside(match: re.Match) -> str:
    if all(_is_date_time_or_score(p) for p in _PART_RE.findall(match.group())):
        return " ~ "
    return match.group()


def without_dates_and_times(text: str) -> str:
    """`text` (normalised) with its dates, times and marks replaced by a placeholder."""
    return DATE_OR_TIME_RE.sub(_set_aside, text)


# --- What the screen looks for --------------------------------------------------------------

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")

# A disguised address: "at" spelled out, bracketed or spaced, "dot" likewise, in English,
# Italian and Japanese; it must end in a common top-level domain, so that "arrived at
# school.Then" is not taken for one (a title-case domain is a sentence, see below).
_AT = (
    r"(?:\s*@\s*"
    r"|\s*[\[({<]\s*(?:at|@|chiocciola)\s*[\])}>]\s*"
    r"|\s+(?:at|chiocciola)\s+"
    r"|\s*(?:アットマーク|アット|あっと)\s*)"
)
_DOT = (
    r"(?:\s*\.(?!\s)"
    r"|\s+\.\s+"
    r"|\s*[\[({<]\s*(?:dot|punto|\.)\s*[\])}>]\s*"
    r"|\s+(?:dot|punto)\s+"
    r"|\s*(?:ドット|どっと)\s*)"
)
TOP_LEVEL_DOMAINS = "com|org|net|edu|gov|info|biz|io|co|uk|jp|it|de|fr|es|eu|ch|nl|ie|ca|au|nz|us"
DISGUISED_EMAIL_RE = re.compile(
    rf"[a-z0-9_%+-]{_AT}[a-z0-9-]+(?:{_DOT}[a-z0-9-]+)*?({_DOT})({TOP_LEVEL_DOMAINS})(?![a-z0-9])",
    re.IGNORECASE,
)

# A phone number: an optional +, then digits broken by spaces, dots, dashes or brackets, or by
# one slash, underscore, comma, apostrophe, middle dot, bar, backslash or colon between two
# digits; nine or more digits in all (the shortest national numbers in common use).
_JOIN = r"/_,'\u2019\u00b7|\\:"
PHONE_RE = re.compile(rf"\+?\(?\d(?:(?:[\s().-]*|[{_JOIN}])\d){{8,}}")
# Six digits or more, nothing or one joining character (or dash or dot) between each two.
DIGIT_RUN_RE = re.compile(rf"\d(?:[-.{_JOIN}]?\d){{5,}}")


def _has_email(text: str) -> bool:
    if EMAIL_RE.search(text):
        return True
    for match in DISGUISED_EMAIL_RE.finditer(text):
        dot, domain = match.group(1).strip(), match.group(2)
        # "...at home.It was": a full stop, then a capital and small letters, starts a sentence.
        if not (dot == "." and domain[0].isupper() and domain[1:].islower()):
            return True
    return False


def find_identifiers(text: str) -> list[str]:
    """Return the kinds of identifier `text` contains ("email", "phone", "digits"), in a
    stable order; a phone number and a run of digits are one kind or the other."""
    if not text:
        return []
    text = normalise(text)
    found = []
    if _has_email(text):
        found.append("email")
    numbers = without_dates_and_times(text)
    if PHONE_RE.search(numbers):
        found.append("phone")
    elif DIGIT_RUN_RE.search(numbers):
        found.append("digits")
    return found


def named(kinds: list[str]) -> StrOrPromise:
    """What was found, in words: "an e-mail address and a phone number"."""
    what = [WHAT[k] for k in kinds]
    return what[0] if len(what) == 1 else BOTH % {"first": what[0], "second": what[1]}


@deconstructible
class NoteScreeningValidator:
    code = "identifier_in_note"

    def __call__(self, value: str) -> None:
        kinds = find_identifiers(value or "")
        if kinds:
            # What was found and why, never the identifier itself: the message is shown on
            # the page and may be logged with a refused batch.
            raise ValidationError(
                REFUSAL, code=self.code, params={"what": named(kinds), "why": WHY}
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoteScreeningValidator)


screen_note = NoteScreeningValidator()
"""The note screen: one validator refuses an e-mail address, a phone number or a run of six or
more digits, however disguised, says which it found and why, and lets ordinary notes through."""
