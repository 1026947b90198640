"""No StudentUniqueId from the files reaches the database, the command's output or the log."""

from __future__ import annotations

import logging
from io import StringIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from schools.importers.jobs import import_job_create, import_job_run

from .conftest import edfi, plain_student_ids

TEXT_TYPES = ("character varying", "text", "character", "json", "jsonb")


def every_text_value():
    """(table, column, value) for every text-like column of every table, as text."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = ANY(%s)",
            [list(TEXT_TYPES)],
        )
        columns = cursor.fetchall()
        for table, column in columns:
            cursor.execute(
                f'SELECT DISTINCT "{column}"::text FROM "{table}" '  # noqa: S608 (catalogue names)
                f'WHERE "{column}" IS NOT NULL'
            )
            for (value,) in cursor.fetchall():
                yield table, column, value


def test_no_student_unique_id_in_the_database_or_the_output(grand_bend, ivan, caplog):
    files = ["StudentSchoolAttendance.xml", "StudentSectionAttendance-Tardy.xml"]
    references = plain_student_ids(*(edfi(f) for f in [*files, "StudentDiscipline.xml"]))
    assert len(references) > 227
    out, err = StringIO(), StringIO()
    caplog.set_level(logging.DEBUG)
    for name in files:
        call_command("import_records", str(edfi(name)), "--create-students", stdout=out, stderr=err)
    # The discipline file goes through the upload path, so a job report is in the database too.
    upload = SimpleUploadedFile("d.xml", edfi("StudentDiscipline.xml").read_bytes())
    school = grand_bend["gb1001"]
    job = import_job_create(school=school, uploaded_by=ivan, upload=upload, create_students=True)
    import_job_run(job_id=job.pk)

    values = list(every_text_value())
    tables = {t for t, _, _ in values}
    assert {"schools_student", "schools_attendancerecord", "schools_importjob"} <= tables
    leaks = [(t, c) for t, c, v in values for ref in references if ref in v]
    assert leaks == []
    output = out.getvalue() + err.getvalue() + caplog.text
    assert "Read 1,917 record(s)" in output
    assert [ref for ref in references if ref in output] == []
