"""The public Ed-Fi sample files the import tests read.

They live beside the repository (../shared/data, see its SOURCES.md); EDFI_SAMPLE_DIR points
elsewhere. A missing sample is a visible skip (pytest -ra lists it), never a pass, and in CI
(CI=true), where the samples are always beside the clone, a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

EDFI_DIR = Path(
    os.environ.get("EDFI_SAMPLE_DIR")
    or Path(__file__).resolve().parents[1].parent / "shared" / "data" / "edfi-grand-bend"
)


def edfi(name: str) -> Path:
    """The path of sample file `name`; skips (fails in CI) when it is not there."""
    path = EDFI_DIR / name
    if not path.exists():
        message = f"sample file {path} is not present"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path
