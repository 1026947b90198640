"""Imports keep the same bounds as every other way in: no record before RECORDS_EARLIEST_DATE,
and an uploaded job always says its format."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from schools.importers import ImportRefused, import_file
from schools.models import AttendanceRecord, Student

from .test_csv_attendance import MONDAY, write_csv


def test_a_date_before_the_earliest_refuses_the_file(school_a, tmp_path):
    rows = [("1001", MONDAY.isoformat(), "AM", "U"), ("1002", "1999-12-31", "AM", "U")]
    with pytest.raises(ImportRefused) as refused:
        import_file(write_csv(tmp_path, rows), school=school_a, create_students=True)
    assert [str(p) for p in refused.value.problems] == [
        "line 3: 1999-12-31 is before 2000-01-01, the earliest date recorded "
        "(RECORDS_EARLIEST_DATE)"
    ]
    assert not AttendanceRecord.objects.exists() and not Student.objects.exists()


def test_the_earliest_date_follows_the_setting(school_a, tmp_path, settings):
    settings.RECORDS_EARLIEST_DATE = MONDAY + dt.timedelta(days=1)
    with pytest.raises(ImportRefused):
        import_file(
            write_csv(tmp_path, [("1001", MONDAY.isoformat(), "AM", "U")]),
            school=school_a,
            create_students=True,
        )


@pytest.mark.parametrize(
    ("body", "expected"),
    [(b"student_ref,date,session,code\n", "csv"), (b'<?xml version="1.0"?><x/>', "edfi")],
)
def test_an_upload_without_a_format_records_the_one_it_has(
    api, ivan, settings, tmp_path, body, expected
):
    settings.IMPORT_DIR = tmp_path
    upload = SimpleUploadedFile("records", body)
    response = api.as_(ivan).post("/api/imports/", {"file": upload}, format="multipart")
    assert response.status_code == 202, response.content
    assert response.json()["format"] == expected
