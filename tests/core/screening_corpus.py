"""The screening corpora (screening_pass.txt, screening_refuse.txt), read once for the server
tests and the browser parity test. Each entry keeps its line number, so a failing case names
the line and the note."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

HERE = Path(__file__).parent
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def _lines(name: str):
    for number, line in enumerate((HERE / name).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip() and not line.startswith("#"):
            # Invisible characters are written as \uXXXX so that a reviewer can see them.
            yield number, _ESCAPE.sub(lambda m: chr(int(m[1], 16)), line)


def _refused():
    for number, line in _lines("screening_refuse.txt"):
        kind, _, note = line.partition(" | ")
        assert kind in {"email", "phone", "digits"} and note, f"line {number}: {line!r}"
        yield number, kind, note


PASS = [note for _, note in _lines("screening_pass.txt")]
REFUSE = [(kind, note) for _, kind, note in _refused()]

PASS_PARAMS = [
    pytest.param(note, id=f"pass:{n}:{note}") for n, note in _lines("screening_pass.txt")
]
REFUSE_PARAMS = [pytest.param(note, kind, id=f"refuse:{n}:{note}") for n, kind, note in _refused()]
