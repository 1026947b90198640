"""The note screen: one validator refuses an e-mail address, a phone number or a run of six or
more digits, says which it found and why, and lets ordinary notes through."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from core.screening import WHY, find_identifiers, screen_note

REFUSED = [
    ("Mum asked us to write to mum.smith@example.org", "an e-mail address"),
    ("contact: J_Doe+school@mail.example.co.uk", "an e-mail address"),
    ("Dad's mobile +44 7700 900123", "a phone number"),
    ("Ring home on 020 7946 0958 after 4", "a phone number"),
    ("(020) 7946-0958", "a phone number"),
    ("555-123-4567", "a phone number"),
    ("Social care ref 4471829", "a run of six or more digits"),
    ("UPN 123456 mentioned", "a run of six or more digits"),
    # Dates are set aside before the phone check, but a phone number written with dots is
    # not a date: it does not stand alone.
    ("Call 01.23.45.67.89", "a phone number"),
    ("Call 01.12.45.67.89", "a phone number"),
    ("0770-090-0123", "a phone number"),
]

ALLOWED = [
    "Sat alone at lunch again; would not join the group.",
    "S-0042 asleep in period 2 and 3.",
    "Late 3 days out of 5 this week.",
    "Scored 45/100, was 80/100 last term.",
    "Seen on 2025-11-03 near room 101.",
    "Said 'nobody would notice if I was not here'.",
    "Five digits is fine: 12345.",
    "Talked about games at home (up at 3 am).",
    # Dates and times, the digits teachers write most, are not phone numbers.
    "On 2025-11-03 10:30 asleep in class.",
    "Absent 3.11 4.11 5.11, late 6.11.",
    "Seen 12/11/2026 and 13/11/2026 at 9:15.",
    "Came in at 10h30 on 3/11.",
]


@pytest.mark.parametrize(("note", "what"), REFUSED)
def test_an_identifier_is_refused_with_what_and_why(note, what):
    with pytest.raises(ValidationError) as raised:
        screen_note(note)
    message = raised.value.messages[0]
    assert what in message
    assert WHY in message
    assert raised.value.error_list[0].code == "identifier_in_note"


@pytest.mark.parametrize("note", ALLOWED)
def test_an_ordinary_note_passes(note):
    screen_note(note)
    assert find_identifiers(note) == []


def test_several_kinds_are_all_named():
    found = find_identifiers("mum@example.org or 07700 900123")
    assert found == ["an e-mail address", "a phone number"]


def test_empty_and_missing_notes_pass():
    assert screen_note("") is None  # raises ValidationError when it refuses
    assert screen_note(None) is None
    assert find_identifiers("") == []


@given(st.text(alphabet=st.characters(blacklist_categories=["Nd"], blacklist_characters="@")))
def test_text_without_digits_or_at_signs_always_passes(text):
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
