"""docs/IMPORTS.md gives the pseudonym formula and a worked example: both agree with the code
that makes the codes, so a school can check its own exports against the document."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from pathlib import Path

from schools.importers.pseudonym import Pseudonymiser, pseudonym_code

DOC = (Path(__file__).resolve().parents[3] / "docs" / "IMPORTS.md").read_text()


def _example() -> tuple[str, str, str, str]:
    found = re.search(
        r"with the key `([^`]+)`, school `([^`]+)` and reference `([^`]+)`, the\s+code is "
        r"`([^`]+)`",
        DOC,
    )
    assert found, "docs/IMPORTS.md has no worked example of the pseudonym"
    return found.groups()


def test_the_documented_example_is_what_the_importer_makes():
    key, school, reference, code = _example()
    assert pseudonym_code(key.encode(), school, reference) == code
    assert Pseudonymiser(key=key).code(school, f"  {reference} ") == code


def test_the_documented_formula_computed_as_written_gives_the_example():
    key, school, reference, code = _example()
    formula = re.search(r"`code = (.+)`", DOC).group(1)
    # The formula as the document writes it, evaluated word for word.
    assert formula == (
        '"P-" + base32(HMAC-SHA256(key = PSEUDONYM_KEY, message = school_code + "\\x00" + '
        "reference.strip()))[:10]"
    )
    message = school.encode() + b"\x00" + reference.strip().encode()
    digest = hmac.new(key.encode(), message, hashlib.sha256).digest()
    assert "P-" + base64.b32encode(digest).decode()[:10] == code
    # Without the separator (what the document used to say) the code would not match.
    joined = hmac.new(key.encode(), (school + reference).encode(), hashlib.sha256).digest()
    assert "P-" + base64.b32encode(joined).decode()[:10] != code
