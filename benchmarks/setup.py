"""Shared set-up for benchmarks: Django on a freshly created, migrated database."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PERFORMANCE_MD = ROOT / "docs" / "PERFORMANCE.md"


def django_with_fresh_database() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    os.environ.setdefault("DEBUG", "true")
    # Benchmarks pseudonymise generated references; a fixed key keeps runs comparable.
    os.environ.setdefault("PSEUDONYM_KEY", "benchmark-pseudonym-key")
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        _recreate_postgres(url)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _recreate_postgres(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    name = name.split("?")[0]
    if not re.fullmatch(r"[A-Za-z0-9_]+", name) or not name.endswith("_bench"):
        raise SystemExit(f"Benchmarks drop and recreate their database; {name!r} is not *_bench.")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def record(section: str, markdown: str) -> None:
    """Replace this benchmark's section of docs/PERFORMANCE.md (other sections are kept)."""
    begin, end = f"<!-- bench:{section} -->", f"<!-- /bench:{section} -->"
    text = PERFORMANCE_MD.read_text() if PERFORMANCE_MD.exists() else "# Performance\n"
    block = f"{begin}\n{markdown.strip()}\n{end}"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    PERFORMANCE_MD.parent.mkdir(exist_ok=True)
    PERFORMANCE_MD.write_text(text)
