"""The note screen: what it refuses and why, over two corpora (ordinary notes that must pass,
disguised identifiers that must be refused), the normalisation it looks through, and the one
validator in the model, the API and the forms."""

from __future__ import annotations

import re
import unicodedata

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from core.screening import WHAT, WHY, clean_text, find_identifiers, normalise, screen_note

from .screening_corpus import PASS_PARAMS, REFUSE, REFUSE_PARAMS

# Characters a page does not show: format characters (Cf) and controls other than line breaks.
INVISIBLE = [
    "\u200b",  # zero-width space
    "\u200c",  # zero-width non-joiner
    "\u200d",  # zero-width joiner
    "\u2060",  # word joiner
    "\ufeff",  # byte-order mark
    "\u00ad",  # soft hyphen
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u202a",  # left-to-right embedding
    "\u202b",  # right-to-left embedding
    "\u202c",  # pop directional formatting
    "\u202d",  # left-to-right override
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u2067",  # right-to-left isolate
    "\u2068",  # first strong isolate
    "\u2069",  # pop directional isolate
    "\u0007",  # bell
]


def _refusal(note: str) -> ValidationError:
    with pytest.raises(ValidationError) as raised:
        screen_note(note)
    return raised.value


@pytest.mark.parametrize(("note", "kind"), REFUSE_PARAMS)
def test_a_disguised_identifier_is_refused_naming_what_and_why(note, kind):
    refused = _refusal(note)
    message = refused.messages[0]
    assert message.startswith(f"This note contains {WHAT[kind]}"), message
    assert str(WHY) in message
    assert refused.error_list[0].code == "identifier_in_note"
    # The message names the kind, never the identifier: no digit and no @ of the note in it.
    assert not re.search(r"[\d@\uff20]", message), message


@pytest.mark.parametrize("note", PASS_PARAMS)
def test_an_ordinary_note_passes(note):
    assert find_identifiers(note) == []
    assert screen_note(note) is None  # raises ValidationError when it refuses


def test_several_kinds_are_all_named():
    assert find_identifiers("mum@example.org or 07700 900123") == ["email", "phone"]
    message = _refusal("mum at example dot org or ref 447/1829").messages[0]
    assert message.startswith("This note contains an e-mail address and a run of six or more")


def test_empty_and_missing_notes_pass():
    assert screen_note("") is None
    assert screen_note(None) is None
    assert find_identifiers("") == []


@pytest.mark.parametrize(
    ("written", "seen"),
    [
        ("０９０－１２３４－５６７８", "090-1234-5678"),
        ("090ー1234ー5678", "090-1234-5678"),  # long vowel mark between digits
        ("アットマーク", "アットマーク"),  # ... but not inside a word
        ("⁴⁴⁷①⑧②⑨", "4471829"),  # superscript and circled
        ("447\u00ad18\u200b29", "4471829"),  # soft hyphen, zero-width space
        ("jo＠example．org", "jo@example.org"),
        ("3、4時間目。", "3,4時間目."),
        ("9:00〜10:30", "9:00~10:30"),
        ("a \u3000\n b", "a b"),
    ],
)
def test_the_screen_looks_at_the_normalised_text(written, seen):
    assert normalise(written) == seen


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.parametrize(("kind", "note"), [(k, n) for k, n in REFUSE if n.isascii()])
def test_a_refused_note_written_in_full_width_is_refused_the_same(kind, note):
    assert find_identifiers(_fullwidth(note)) == find_identifiers(note)


@given(
    entry=st.sampled_from(REFUSE),
    invisible=st.lists(st.tuples(st.integers(0, 200), st.sampled_from(INVISIBLE)), max_size=8),
)
def test_invisible_characters_anywhere_do_not_hide_an_identifier(entry, invisible):
    _kind, note = entry
    disguised = note
    for at, char in invisible:
        at %= len(disguised) + 1
        disguised = disguised[:at] + char + disguised[at:]
    assert find_identifiers(disguised) == find_identifiers(note) != []


def _cannot_make_an_identifier(char: str) -> bool:
    # Nothing that is, or normalises to, a digit, an @ or a Latin letter (which could spell
    # "at" and a domain).
    seen = unicodedata.normalize("NFKC", char)
    return not any(c.isdigit() or c == "@" or (c.isascii() and c.isalpha()) for c in seen)


@given(
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]).filter(_cannot_make_an_identifier))
)
def test_text_without_digits_at_signs_or_latin_letters_always_passes(text):
    assert find_identifiers(text) == []
    assert screen_note(text) is None


@given(
    before=st.text(max_size=40),
    digits=st.text(alphabet="0123456789", min_size=6, max_size=15),
    after=st.text(max_size=40),
)
def test_six_digits_in_a_row_are_always_refused(before, digits, after):
    with pytest.raises(ValidationError):
        screen_note(f"{before} {digits} {after}")


@pytest.mark.parametrize("char", INVISIBLE)
def test_stored_text_loses_its_invisible_characters(char):
    assert clean_text(f"  Sat{char} alone{char}\n at lunch {char}") == "Sat alone\n at lunch"


def test_stored_text_keeps_what_was_written_otherwise():
    written = "Ｓ-0042 ２限は保健室。\tÈ rimasto solo, 3ª ora: ①"
    assert clean_text(written) == written
    assert clean_text(None) == "" and clean_text("\u200b \u202e") == ""


def test_the_same_validator_guards_model_api_and_forms():
    """One validator, everywhere a note is written."""
    from alerts.forms import NoteForm
    from schools.forms import ObservationForm
    from schools.models import Observation
    from schools.serializers import ObservationWriteSerializer

    places = {
        "model": Observation._meta.get_field("note").validators,
        "api": ObservationWriteSerializer().fields["note"].validators,
        "observation form": ObservationForm.base_fields["note"].validators,
        "case note form": NoteForm.base_fields["text"].validators,
    }
    missing = [where for where, validators in places.items() if screen_note not in validators]
    assert not missing, missing
