"""Settings from the environment: with the production values the README documents,
`manage.py check --deploy` reports nothing; without a SECRET_KEY and with DEBUG off, the
service refuses to start.

Each check runs in a subprocess with exactly that environment (not this test process's), the
way a container starts.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


def _production_env(**changes) -> dict[str, str]:
    """The environment of docker-compose.yml and the README's .env, and nothing else."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "ew.school.example,localhost",
        "CSRF_TRUSTED_ORIGINS": "https://ew.school.example",
        "SITE_URL": "https://ew.school.example",
        "PSEUDONYM_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": os.environ.get(
            "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/early_warning"
        ),
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "CACHE_URL": "redis://127.0.0.1:6379/1",
        "EMAIL_URL": "smtp://mailpit:1025",
    }
    env.update(changes)
    return {k: v for k, v in env.items() if v is not None}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own manage.py, a fixed argument list)
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_with_the_documented_production_settings_reports_nothing():
    result = _manage("check", "--deploy", "--fail-level", "DEBUG", env=_production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_can_fail():
    """The same check, with a weak key and debug on, does complain: it is not a no-op."""
    env = _production_env(DEBUG="true", SECRET_KEY="short")
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout  # the weak SECRET_KEY
    assert "security.W018" in result.stderr + result.stdout  # DEBUG on


@pytest.mark.parametrize("secret_key", [None, ""])
def test_without_a_secret_key_and_debug_off_the_service_refuses_to_start(secret_key):
    result = _manage("check", env=_production_env(SECRET_KEY=secret_key))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
