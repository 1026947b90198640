"""Pseudonymisation: keyed, per school, in the student code pattern, refused without a key."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from schools.importers import ImportRefused, import_file
from schools.importers.pseudonym import Pseudonymiser
from schools.models import STUDENT_CODE_PATTERN, Student
from tests.clock import fixed_dates

pytestmark = fixed_dates


def test_codes_fit_the_pattern_and_depend_on_school_and_key(settings):
    settings.PSEUDONYM_KEY = "key-one"
    one = Pseudonymiser()
    code = one.code("north", "604822")
    assert re.match(STUDENT_CODE_PATTERN, code)
    assert "604822" not in code
    assert one.code("north", "604822") == code
    assert one.code("south", "604822") != code
    assert Pseudonymiser(key="key-two").code("north", "604822") != code
    assert len({one.code("north", str(n)) for n in range(5000)}) == 5000


def test_no_key_no_import(school_a, tmp_path, settings):
    settings.PSEUDONYM_KEY = ""
    path = tmp_path / "a.csv"
    path.write_text("student_ref,date,session,code\n1,2026-03-02,AM,N\n")
    with pytest.raises(ImportRefused, match="PSEUDONYM_KEY"):
        import_file(path, school=school_a, create_students=True)
    assert not Student.objects.exists()


def test_created_students_keep_the_key_version(school_a, tmp_path, settings):
    settings.PSEUDONYM_KEY_VERSION = 3
    path = tmp_path / "a.csv"
    path.write_text(f"student_ref,date,session,code\n1,{dt.date(2026, 3, 2)},AM,N\n")
    import_file(path, school=school_a, create_students=True)
    (student,) = Student.objects.all()
    assert student.pseudonym_key_version == 3
    assert student.code == Pseudonymiser().code(school_a.code, "1")
