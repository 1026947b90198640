"""The browser's note screening (core/static/js/screening.js) finds exactly what the server's
validator (core.screening.find_identifiers) finds, on the same notes: a drift in either would
either block a note the server accepts or let a member of staff type an identifier without
being told until they submit. The notes are the ones below and both screening corpora
(tests/core/screening_*.txt: English, Japanese and Italian notes, disguised identifiers);
the page's messages are the server's."""

from __future__ import annotations

import pytest

from core.screening import WHAT, WHY, find_identifiers
from tests.core.screening_corpus import PASS, REFUSE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTES = [
    "Sat alone at lunch again.",
    "Asked to email jo.bloggs+school@example.org",
    "a@b.c is not an address, a@b.co is",
    "call 07700 900123 after school",
    "call +44 (0)20 7946 0958",
    "tel 020-7946-0958",
    "ref 1234567",
    "ref 12345 only five digits",
    "seen on 03.11 at 10:30 and on 2025-11-03",
    "on 3/11/2025 at 9h15, then 10:45",
    "12.03.2025 14:30 12.03.2025 14:30",
    "room 101, period 3, 2 of 5 lessons",
    "S-0042 and S-0043 together",
    "mum on 07700900123 or dad@example.com",
    "20251103 is a run of digits",
    "",
    *PASS,
    *(note for _kind, note in REFUSE),
]


def test_the_browser_and_the_server_find_the_same_identifiers(
    open_browser, school_a, alice, student_a
):
    teacher = open_browser()
    teacher.login(alice)
    teacher.page.goto("/observe/")
    browser_found = teacher.page.evaluate(
        "(notes) => notes.map((n) => window.earlyWarningScreening.findIdentifiers(n))", NOTES
    )
    assert browser_found == [find_identifiers(note) for note in NOTES]
    # The message shown while typing is the server's, disguise or not.
    teacher.page.get_by_label("Note (optional)").fill("Ring 090ー1234ー5678 after school")
    shown = teacher.page.get_by_role("alert").filter(has_text=str(WHAT["phone"]))
    shown.wait_for()
    assert str(WHY) in shown.inner_text()
