"""Run one import: size and format checks, parse into a staging sink, write, report."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import BinaryIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .. import services
from ..models import School, Student
from . import csv_attendance, csv_copy, edfi
from .context import ImportContext
from .pseudonym import Pseudonymiser
from .report import ImportRefused, ImportReport
from .writer import SinkOptions, analyze_after_commit, make_sink

FORMATS = (csv_attendance.FORMAT, edfi.FORMAT)


def import_user():
    """The account imported records are recorded by: inactive, no password, never logs in.

    One account for every import (command or API) keeps re-imports idempotent: an incident's
    observation has a client id derived from the incident, and a client id belongs to one
    author. Who uploaded a file is kept on its ImportJob.
    """
    user, _ = get_user_model().objects.get_or_create(
        email=settings.IMPORT_SYSTEM_EMAIL,
        defaults={"display_name": "Records import", "is_active": False},
    )
    if user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def sniff_format(stream: BinaryIO) -> str:
    head = stream.read(512)
    stream.seek(0)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return edfi.FORMAT if head.lstrip().startswith(b"<") else csv_attendance.FORMAT


def import_file(
    path: str | os.PathLike,
    *,
    fmt: str | None = None,
    school: School | None = None,
    create_students: bool = False,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    force_python_sink: bool = False,
    csv_by_copy: bool = True,
) -> ImportReport:
    """Import one file, all or nothing; return what happened.

    Guarantees: nothing is written unless the whole file is valid (ImportRefused says why,
    naming lines or elements); a second import of the same file changes nothing; an updated
    file changes just the records that differ; no raw student reference is written anywhere.
    `school` is required for CSV; for Ed-Fi it restricts the import to that school's records.
    With `dry_run` everything is checked and counted, then rolled back.
    On PostgreSQL a CSV file is COPYed and checked in SQL (csv_copy.py) unless `csv_by_copy`
    is off or the file needs the row-by-row reader; `force_python_sink` takes the path of the
    embedded SQLite run (read row by row, written with the ORM) on any database.
    """
    size = os.path.getsize(path)
    if size > settings.IMPORT_MAX_BYTES:
        raise too_large(size)
    with open(path, "rb") as stream:
        found = sniff_format(stream)
        fmt = fmt or found
        if fmt not in FORMATS:
            raise ImportRefused(
                _("Unknown format %(format)r: use one of %(formats)s.")
                % {"format": fmt, "formats": ", ".join(FORMATS)}
            )
        if fmt != found:
            raise ImportRefused(
                _("This file looks like %(found)s, not %(wanted)s; nothing was written.")
                % {
                    "found": "XML" if found == edfi.FORMAT else "CSV",
                    "wanted": "CSV" if fmt == csv_attendance.FORMAT else "Ed-Fi XML",
                }
            )
        if fmt == csv_attendance.FORMAT and school is None:
            raise ImportRefused(_("A CSV file names no school: choose one (--school CODE)."))
        if fmt == edfi.FORMAT and school is not None and school.edfi_school_id is None:
            raise ImportRefused(
                _(
                    "School %(school)s has no Ed-Fi SchoolId, so no Ed-Fi record can be routed "
                    "to it; set it on the school first."
                )
                % {"school": school.code}
            )
        return _import(
            stream,
            fmt=fmt,
            school=school,
            create_students=create_students,
            dry_run=dry_run,
            progress=progress,
            force_python_sink=force_python_sink,
            csv_by_copy=csv_by_copy,
        )


def too_large(size: int) -> ImportRefused:
    """The refusal of a file over IMPORT_MAX_BYTES, the sizes written in the reader's way."""
    return ImportRefused(
        _(
            "The file is %(size)s bytes; the limit is %(limit)s (IMPORT_MAX_BYTES), so nothing "
            "was written."
        )
        % {
            "size": number_format(size, force_grouping=True),
            "limit": number_format(settings.IMPORT_MAX_BYTES, force_grouping=True),
        }
    )


def _import(
    stream, *, fmt, school, create_students, dry_run, progress, force_python_sink, csv_by_copy
):
    pseudonymiser = Pseudonymiser()
    report = ImportReport(format=fmt, dry_run=dry_run)
    module = csv_attendance if fmt == csv_attendance.FORMAT else edfi
    options = SinkOptions(
        create_students=create_students,
        strict_duplicates=fmt == csv_attendance.FORMAT,
        source=module.SOURCE,
        key_version=pseudonymiser.version,
        where=csv_attendance.where if fmt == csv_attendance.FORMAT else _element_where,
    )
    with transaction.atomic():
        reader = None
        copied = (
            fmt == csv_attendance.FORMAT
            and csv_by_copy
            and connection.vendor == "postgresql"
            and not force_python_sink
            and csv_copy.import_csv(
                stream,
                school=school,
                ctx=ImportContext(report=report, pseudonymiser=pseudonymiser, sink=None),
                options=options,
                progress=progress,
            )
        )
        if not copied:
            sink = make_sink(options, force_python=force_python_sink)
            ctx = ImportContext(report=report, pseudonymiser=pseudonymiser, sink=sink)
            with sink:
                if fmt == csv_attendance.FORMAT:
                    csv_attendance.parse(stream, school=school, ctx=ctx, progress=progress)
                else:
                    reader = edfi.EdfiReader(ctx=ctx, only_school=school)
                    reader.read(stream, progress)
                report.refuse_if_problems()
            sink.finish(report)
        if reader is not None and reader.victims:
            _write_victims(reader.victims, report, create_students, options)
        if dry_run:
            transaction.set_rollback(True)
        else:
            analyze_after_commit(report)
    return report


def _element_where(number: int) -> str:
    return _("record #%(n)d of the file") % {"n": number}


def _write_victims(victims, report: ImportReport, create_students, options) -> None:
    """A victim of an incident -> one BULLYING observation, found again on a re-import,
    recorded by the import's system account."""
    items = []
    for victim in victims:
        student = Student.objects.filter(school=victim.school, code=victim.student_code).first()
        if student is None and create_students:
            student = Student.objects.create(
                school=victim.school,
                code=victim.student_code,
                pseudonym_key_version=options.key_version,
            )
            report.students_created += 1
        if student is None:
            report.students_unknown += 1
            report.skip("unknown_student")
            continue
        items.append(
            services.ObservationInput(
                student=student,
                observed_on=victim.observed_on,
                signs=[edfi.BULLYING],
                note=edfi.VICTIM_NOTE,
                client_id=victim.client_id,
            )
        )
    if items:
        _, created = services.observations_create_batch(items=items, recorded_by=import_user())
        report.observations["created"] += created
        report.observations["unchanged"] += len(items) - created
