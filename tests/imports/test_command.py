"""The import_records command: a summary at the end, no progress bar when not a terminal."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from schools.importers.progress import ProgressBar

from .conftest import edfi


def test_the_summary_says_what_happened(grand_bend):
    out, err = StringIO(), StringIO()
    path = str(edfi("StudentSchoolAttendance.xml"))
    call_command("import_records", path, "--create-students", stdout=out, stderr=err)
    text = out.getvalue()
    assert "Read 1,917 record(s): 1,913 applied, 4 skipped." in text
    assert "skipped 3: weekend" in text
    assert "school gb1107: 831 event(s), 115 student(s)" in text
    assert err.getvalue() == ""  # not a terminal: no progress bar

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
