from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from schools.demo import DEMO_LOCALES, demo_language, seed_demo


class Command(BaseCommand):
    help = "Create the demo school, staff and twelve weeks of records (once); print the logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--language",
            default="en-gb",
            help=(
                "The demo school's language and country calendar: "
                f"{', '.join(DEMO_LOCALES)} (default en-gb). Each language is its own school."
            ),
        )

    def handle(self, *args, **options):
        try:
            language = demo_language(options["language"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        result = seed_demo(language=language)
        school = result.school
        verb = "Created" if result.created else "Found"
        self.stdout.write(
            f"{verb} the demo school {school.name} (code {school.code}, language {language})."
        )
        self.stdout.write("Demo logins (every password is the same):")
        for label, email, password in result.logins:
            self.stdout.write(f"  {label:26} {email:28} {password}")
        if result.token:
            self.stdout.write(f"  integration API token       {result.token}")
        self.stdout.write("Students with a story in the demo data:")
        for story, codes in result.patterns.items():
            self.stdout.write(f"  {story:36} {', '.join(codes)}")
