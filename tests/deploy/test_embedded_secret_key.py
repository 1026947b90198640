"""`make run` signs with a key of its own machine, not with the development key every copy of
the code knows: scripts/run-embedded makes one on the first run (var/secret_key, readable by
its owner only) and hands the same one to the web process and the worker on every run.

run-embedded is run for real, in a copy of the repository's layout whose `.venv/bin/celery` and
`.venv/bin/python` are stand-ins that write down the SECRET_KEY they were started with.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from core import settings as project_settings

ROOT = Path(__file__).resolve().parents[2]

# run-embedded starts both from the checkout's root and stops the other when one ends, so
# each stand-in ends only once both have written their key down.
STAND_IN = """#!/usr/bin/env bash
echo "$SECRET_KEY" > "$(basename "$0").key"
for _ in $(seq 200); do [[ -s celery.key && -s python.key ]] && break; sleep 0.05; done
"""


@pytest.fixture
def checkout(tmp_path):
    """scripts/ as they are in the repository, beside stand-ins for the virtualenv's servers."""
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("celery", "python"):
        path = bin_dir / name
        path.write_text(STAND_IN)
        path.chmod(0o755)
    return tmp_path


def _run(checkout: Path, **env: str) -> tuple[str, str]:
    environment = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"} | env
    subprocess.run(  # noqa: S603 (the repository's own script)
        ["/bin/bash", str(checkout / "scripts" / "run-embedded")],
        env=environment,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return (
        (checkout / "python.key").read_text().strip(),
        (checkout / "celery.key").read_text().strip(),
    )


def test_the_embedded_run_makes_a_key_of_its_own_and_keeps_it(checkout):
    web, worker = _run(checkout)
    assert web == worker, "web and worker must sign with the same key"
    assert len(web) >= 50
    assert web != project_settings.SECRET_KEY  # not the development key in core/settings.py
    key_file = checkout / "var" / "secret_key"
    assert key_file.read_text().strip() == web
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    assert _run(checkout) == (web, web), "a restart keeps the key, so sessions stay valid"


def test_another_checkout_gets_another_key(checkout, tmp_path_factory):
    other = tmp_path_factory.mktemp("other")
    shutil.copytree(checkout, other, dirs_exist_ok=True)
    assert _run(checkout)[0] != _run(other)[0]


def test_a_key_from_the_environment_wins(checkout):
    assert _run(checkout, SECRET_KEY="k" * 60) == ("k" * 60, "k" * 60)
    assert not (checkout / "var" / "secret_key").exists()
