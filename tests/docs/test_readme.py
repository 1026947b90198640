"""The README is part of the work: every setting the code reads is in its settings table."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV_READ = re.compile(
    r"""env(?:\.(?:str|bool|int|float|list|path|db|cache|email_url))?\(\s*["']([A-Z_]+)["']"""
)


def settings_read_from_environment() -> set[str]:
    return set(ENV_READ.findall((ROOT / "core" / "settings.py").read_text()))


def test_the_settings_scan_finds_the_known_ones():
    names = settings_read_from_environment()
    assert {"DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_URL", "SECRET_KEY"} <= names


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    missing = sorted(n for n in settings_read_from_environment() if f"`{n}`" not in table)
    assert not missing, f"settings missing from the README's table: {missing}"
