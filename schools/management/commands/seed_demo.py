from __future__ import annotations

from django.core.management.base import BaseCommand

from schools.demo import seed_demo


class Command(BaseCommand):
    help = "Create the demo school, staff and twelve weeks of records (once); print the logins."

    def handle(self, *args, **options):
        result = seed_demo()
        school = result.school
        verb = "Created" if result.created else "Found"
        self.stdout.write(f"{verb} the demo school {school.name} (code {school.code}).")
        self.stdout.write("Demo logins (every password is the same):")
        for label, email, password in result.logins:
            self.stdout.write(f"  {label:26} {email:28} {password}")
        if result.token:
            self.stdout.write(f"  integration API token       {result.token}")
        self.stdout.write("Students with a story in the demo data:")
        for story, codes in result.patterns.items():
            self.stdout.write(f"  {story:36} {', '.join(codes)}")
