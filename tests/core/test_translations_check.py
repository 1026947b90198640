"""The catalogue check of `make lint` (scripts/translations.py): a catalogue with a missing,
fuzzy or stale entry, or a translation that drops a placeholder, is refused; the project's
own catalogues pass it, and every one of their entries is translated."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("translations", ROOT / "scripts/translations.py")
translations = importlib.util.module_from_spec(spec)
spec.loader.exec_module(translations)


def _po(*entries: polib.POEntry) -> polib.POFile:
    po = polib.POFile()
    for entry in entries:
        po.append(entry)
    return po


def test_a_complete_catalogue_passes():
    po = _po(polib.POEntry(msgid="Log in %(name)s", msgstr="Accedi %(name)s"))
    assert translations.problems(po, "it") == []


@pytest.mark.parametrize(
    ("entry", "what"),
    [
        (polib.POEntry(msgid="Log in", msgstr=""), "no translation"),
        (polib.POEntry(msgid="Log in", msgstr="Accedi", flags=["fuzzy"]), "fuzzy"),
        (polib.POEntry(msgid="Log in", msgstr="Accedi", obsolete=True), "stale"),
        (polib.POEntry(msgid="Hello %(name)s", msgstr="Ciao"), "placeholders"),
        (polib.POEntry(msgid="{count} marked", msgstr="{n} segnati"), "placeholders"),
        (
            polib.POEntry(
                msgid="%(n)s case", msgid_plural="%(n)s cases", msgstr_plural={0: "x", 1: ""}
            ),
            "no translation",
        ),
    ],
)
def test_a_gap_in_a_catalogue_is_named(entry, what):
    (problem,) = translations.problems(_po(entry), "it")
    assert what in problem


@pytest.mark.parametrize("lang", ["ja", "it"])
def test_the_project_catalogues_are_complete(lang):
    po = polib.pofile(str(ROOT / "locale" / lang / "LC_MESSAGES" / "django.po"))
    assert len(po) > 400
    assert translations.problems(po, lang) == []
    assert po.percent_translated() == 100
