from __future__ import annotations

import os
import sys

from django.core.management.base import BaseCommand, CommandError

from schools.importers import FORMATS, ImportRefused, import_file
from schools.importers.progress import ProgressBar
from schools.models import School


class Command(BaseCommand):
    help = (
        "Import attendance (CSV or Ed-Fi XML), Ed-Fi discipline incidents or an Ed-Fi calendar, "
        "all or nothing, pseudonymising student references. See docs/IMPORTS.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument(
            "--school",
            metavar="CODE",
            help="The school (required for CSV; for Ed-Fi, import only this school's records).",
        )
        parser.add_argument("--format", choices=FORMATS, help="Default: detected from the file.")
        parser.add_argument(
            "--create-students",
            action="store_true",
            help="Create students not known yet (otherwise they are skipped and counted).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count everything, write nothing."
        )

    def handle(self, *args, path, school, format, create_students, dry_run, **options):
        if not os.path.isfile(path):
            raise CommandError(f"No such file: {path}")
        target = None
        if school:
            target = School.objects.filter(code=school).first()
            if target is None:
                raise CommandError(f"No school with code {school!r}.")
        bar = ProgressBar(os.path.getsize(path), stream=sys.stderr)
        try:
            report = import_file(
                path,
                fmt=format,
                school=target,
                create_students=create_students,
                dry_run=dry_run,
                progress=bar,
            )
        except ImportRefused as e:
            bar.done()
            raise CommandError("\n".join(e.lines())) from None
        bar.done()
        for line in report.summary_lines():
            self.stdout.write(line)
