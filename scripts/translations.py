"""The translation catalogues (locale/<lang>/LC_MESSAGES/django.po): extract and check.

    python scripts/translations.py update   # extract the marked strings into every catalogue
    python scripts/translations.py check    # fail when a catalogue is not complete and current

`check` extracts into a copy of the project, so the working tree is never touched, and fails
when a marked string has no translation in a catalogue (new, or changed since it was
translated: gettext then marks its old translation "fuzzy"), when a catalogue holds an entry
no code uses any more (stale), or when a translation does not keep the placeholders of its
source (%(name)s, {name}). `make lint` runs it; `make messages` runs `update`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ["ja", "it"]
# Where no user-facing string lives: tools, tests, benchmarks, built or local files.
IGNORE = [".venv/*", "tests/*", "benchmarks/*", "staticfiles/*", "var/*", "docs/*", "scripts/*"]
COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "var",
    "staticfiles",
    "__pycache__",
    "*.pyc",
    "*.mo",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    ".mypy_cache",
    "node_modules",
)
PLACEHOLDER = re.compile(r"%\([A-Za-z_]+\)[sdr]|\{[A-Za-z_]+\}")


def makemessages(root: Path, *, keep_obsolete: bool) -> None:
    command = [sys.executable, "manage.py", "makemessages", "--add-location=file", "--no-wrap"]
    # The PDF stylesheet is a template too (its page headers and footers are text).
    command.append("--extension=html,txt,py,css")
    command += [f"--locale={lang}" for lang in LANGUAGES]
    command += [f"--ignore={pattern}" for pattern in IGNORE]
    if not keep_obsolete:
        command.append("--no-obsolete")
    env = {**os.environ, "DEBUG": "true"}
    # The command is built from constants above, never from input.
    subprocess.run(command, cwd=root, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603


def catalogue(root: Path, lang: str) -> Path:
    return root / "locale" / lang / "LC_MESSAGES" / "django.po"


def problems(po: polib.POFile, lang: str) -> list[str]:
    found = []
    for entry in po:
        where = f"{lang}: {entry.msgid[:70]!r}" + (f" ({entry.msgctxt})" if entry.msgctxt else "")
        if entry.obsolete:
            found.append(f"{where}: stale (no code uses it any more)")
            continue
        if "fuzzy" in entry.flags:
            found.append(f"{where}: fuzzy (the source changed; check and translate again)")
            continue
        texts = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if not all(texts):
            found.append(f"{where}: no translation")
            continue
        wanted = set(PLACEHOLDER.findall(entry.msgid + (entry.msgid_plural or "")))
        for text in texts:
            if not set(PLACEHOLDER.findall(text)) <= wanted or (
                not entry.msgid_plural and set(PLACEHOLDER.findall(text)) != wanted
            ):
                found.append(f"{where}: placeholders differ from the source in {text[:50]!r}")
    return found


def check() -> int:
    with tempfile.TemporaryDirectory(prefix="translations-") as tmp:
        copy = Path(tmp) / "project"
        shutil.copytree(ROOT, copy, ignore=COPY_IGNORE)
        makemessages(copy, keep_obsolete=True)
        found = []
        for lang in LANGUAGES:
            path = catalogue(copy, lang)
            if not catalogue(ROOT, lang).exists():
                found.append(f"{lang}: no catalogue at {catalogue(ROOT, lang).relative_to(ROOT)}")
                continue
            found += problems(polib.pofile(str(path)), lang)
    for line in found:
        print(line)
    if found:
        print(
            f"{len(found)} translation problem(s). Run `make messages`, then translate the "
            "empty and fuzzy entries in locale/*/LC_MESSAGES/django.po (docs/I18N.md)."
        )
        return 1
    print(f"Translations complete and current: {', '.join(LANGUAGES)}.")
    return 0


def update() -> int:
    makemessages(ROOT, keep_obsolete=False)
    return 0


if __name__ == "__main__":
    action = sys.argv[1] if len(sys.argv) > 1 else "check"
    sys.exit({"check": check, "update": update}[action]())
