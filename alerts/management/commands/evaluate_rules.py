"""python manage.py evaluate_rules [--school CODE] [--date YYYY-MM-DD] [--dry-run] [--full]

Runs the same service as the nightly Celery task, without a broker. Prints student codes and
counts only: never a note or anything else about a student.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from alerts.services import evaluation_run
from schools.models import School


class Command(BaseCommand):
    help = "Evaluate the warning-sign rules now and open or update cases."

    def add_arguments(self, parser):
        parser.add_argument("--school", help="A school code; default: every school.")
        parser.add_argument(
            "--date",
            type=dt.date.fromisoformat,
            help="Evaluate as on this date (YYYY-MM-DD); default: today at each school.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would happen; change nothing."
        )
        parser.add_argument(
            "--full",
            action="store_true",
            help="Evaluate every student, not only those whose records changed since the "
            "last run on the same date.",
        )

    def handle(self, *args, school=None, date=None, dry_run=False, full=False, **options):
        schools = School.objects.all()
        if school:
            schools = schools.filter(code=school)
            if not schools.exists():
                raise CommandError(f"No school with code {school!r}.")
        for item in schools:
            summary = evaluation_run(school=item, on_date=date, dry_run=dry_run, full=full)
            self._print(summary)

    def _print(self, s) -> None:
        mode = " (dry run: nothing changed)" if s.dry_run else ""
        scope = (
            f"; {s.evaluated} student(s) whose records changed since the last run"
            if s.incremental
            else ""
        )
        self.stdout.write(f"School {s.school}, evaluated as on {s.on_date}{mode}{scope}")
        lines = (
            [("would open", s.would_open), ("would update", s.would_update)]
            if s.dry_run
            else [
                ("opened", s.opened),
                ("reopened", s.reopened),
                ("updated", s.updated),
                ("resolution suggested", s.resolution_suggested),
            ]
        )
        for label, codes in lines:
            self.stdout.write(f"  {label:22} {len(codes):4}  {', '.join(codes)}".rstrip())
        self.stdout.write(f"  {'unchanged':22} {len(s.unchanged):4}")
        if not s.dry_run:
            self.stdout.write(f"  {'notifications written':22} {s.notifications:4}")
