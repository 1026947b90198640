"""The API works on the embedded default (`make run`: SQLite) as on PostgreSQL: a token signs
in and an observation is recorded. The hand-written reads of every API request
(core/rows.py) convert what SQLite returns (timestamps as text, say) as the ORM does, and the
roles that PostgreSQL reads with the token are read on their own there.

Run for real, in a fresh process on a fresh SQLite file: the suite's own database is
PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0, interactive=False)
from django.test.utils import setup_test_environment
setup_test_environment()
from rest_framework.test import APIClient
from core.credentials import token_create
from schools.models import Observation, Role
from tests.factories import MembershipFactory, SchoolFactory, StudentFactory, TermFactory

school = SchoolFactory(code="north")
TermFactory(school=school)
StudentFactory(school=school, code="S-0042")
teacher = MembershipFactory(school=school, role=Role.TEACHER).user
client = APIClient()
client.credentials(HTTP_AUTHORIZATION="Token " + token_create(user=teacher, name="t")[1])
schools = client.get("/api/schools/")
posted = client.post(
    "/api/observations/",
    {"student": "S-0042", "observed_on": school.today().isoformat(), "signs": ["ISOLATION"]},
    format="json",
)
print(schools.status_code, [s["code"] for s in schools.json()["results"]])
print(posted.status_code, posted.json()["recorded_by"] == teacher.email)
print(Observation.objects.filter(recorded_by=teacher).count())
"""


def test_a_token_records_an_observation_on_the_embedded_sqlite(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "core.settings",
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
        "CELERY_BROKER_URL": "memory://",
        "CACHE_URL": "locmemcache://",
        "ALLOWED_HOSTS": "testserver",
    }
    done = subprocess.run(  # noqa: S603 -- our own interpreter and script
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split("\n")[:3] == ["200 ['north']", "201 True", "1"], done.stdout
