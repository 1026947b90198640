"""The import_records command: a summary at the end, no progress bar when not a terminal."""

from __future__ import annotations

import datetime as dt
import os
import pty
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from schools.importers.progress import ProgressBar

from .conftest import edfi


def test_the_summary_says_what_happened(grand_bend, capsys):
    out, err = StringIO(), StringIO()
    path = str(edfi("StudentSchoolAttendance.xml"))
    call_command("import_records", path, "--create-students", stdout=out, stderr=err)
    text = out.getvalue()
    assert "Read 1,917 record(s): 1,913 applied, 4 skipped." in text
    assert "skipped 3: weekend" in text
    assert "school gb1107: 831 event(s), 115 student(s)" in text
    # The bar is drawn on the process's stderr, here pytest's capture: not a terminal, so
    # nothing at all.
    assert err.getvalue() == "" and capsys.readouterr().err == ""

    out = StringIO()
    call_command("import_records", path, stdout=out)
    assert "Created 0, updated 0, unchanged 3,763" in out.getvalue()


def test_a_refused_file_fails_the_command_with_the_reasons(grand_bend, tmp_path):
    path = tmp_path / "marks.csv"
    path.write_text("student_ref,date,session,code\n1,2022-01-10,AM,N\n2,2022-01-10,AM,??\n")
    with pytest.raises(CommandError, match="line 3: the code is not a register code"):
        call_command("import_records", str(path), "--school", "gb1001", stdout=StringIO())
    with pytest.raises(CommandError, match="No school"):
        call_command("import_records", str(path), "--school", "nowhere")


class FakeTerminal(StringIO):
    def isatty(self):
        return True


def test_the_progress_bar_draws_on_a_terminal_only():
    tty, pipe = FakeTerminal(), StringIO()
    for stream in (tty, pipe):
        bar = ProgressBar(1000, stream=stream)
        bar(500)
        bar.done()
    assert "50%" in tty.getvalue() and "100%" in tty.getvalue()
    assert pipe.getvalue() == ""


ROOT = Path(__file__).resolve().parents[3]


def _run_with_stderr_on_a_terminal(args: list[str]) -> tuple[int, str, str]:
    """Run manage.py in a child process whose stderr is a pseudo-terminal, on the test database."""
    db = connection.settings_dict
    env = dict(
        os.environ,
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        PSEUDONYM_KEY=settings.PSEUDONYM_KEY,
    )
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
            [sys.executable, "manage.py", "import_records", *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=follower,
            timeout=180,
            check=False,
        )
    finally:
        os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the terminal's other end is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return proc.returncode, proc.stdout.decode(), b"".join(chunks).decode()


@pytest.mark.django_db(transaction=True)
def test_on_a_terminal_the_command_draws_a_progress_bar(school_a, tmp_path):
    # Enough rows for the reader to report progress on the way (every 20,000 rows), not only
    # at the end.
    path = tmp_path / "marks.csv"
    with open(path, "w") as out:
        out.write("student_ref,date,session,code\n")
        for i in range(45_000):
            day = dt.date(2026, 3, 2) + dt.timedelta(days=7 * (i // 2000))
            out.write(f"{3000 + i % 1000},{day.isoformat()},{('AM', 'PM')[i // 1000 % 2]},N\n")

    code, stdout, terminal = _run_with_stderr_on_a_terminal(
        [str(path), "--school", school_a.code, "--create-students", "--dry-run"]
    )

    assert code == 0, terminal
    assert "Read 45,000 record(s)" in stdout
    frames = [f for f in terminal.split("\r") if f.startswith("[")]
    shares = [int(f.split("]")[1].split("%")[0]) for f in frames]
    assert shares[-1] == 100
    assert any(0 < s < 100 for s in shares), frames  # drawn while reading, not only at the end
    assert "Read 45,000" not in terminal  # the summary goes to stdout, the bar to the terminal
