"""docker-compose.yml cannot be run here (no Docker engine), so it is read against the
services the suite really tests with: the same settings names, the services the design
names, and the properties a deployment relies on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_designed_services(compose):
    assert set(compose["services"]) == {"web", "worker", "beat", "postgres", "redis", "mailpit"}


def test_app_services_share_one_image_and_read_the_documented_settings(compose):
    services = compose["services"]
    for name in ("web", "worker", "beat"):
        service = services[name]
        assert service["build"] == "."
        assert service["image"] == "early-warning:latest"
        env = service["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
        assert "EMAIL_URL" in env


def test_every_dependency_waits_for_health(compose):
    services = compose["services"]
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            assert condition == {"condition": "service_healthy"}, (name, dependency)
            assert "healthcheck" in services[dependency], dependency


def test_exactly_one_beat(compose):
    beat = compose["services"]["beat"]
    assert beat["deploy"]["replicas"] == 1
    assert "beat" in beat["command"]
    worker_command = compose["services"]["worker"]["command"]
    assert "--beat" not in worker_command and "-B" not in worker_command


def test_redis_keeps_queued_work(compose):
    command = " ".join(compose["services"]["redis"]["command"])
    assert "--appendonly yes" in command
    assert "--maxmemory-policy noeviction" in command


def test_image_runs_as_a_non_root_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.M)
    assert users and users[-1] not in {"root", "0"}
    assert "--require-hashes" in dockerfile


def test_settings_in_compose_are_documented_in_readme(compose):
    readme = (ROOT / "README.md").read_text()
    for name in compose["services"]["web"]["environment"]:
        assert f"`{name}`" in readme, f"{name} is not in the README's settings table"


def test_web_and_worker_share_the_import_directory(compose):
    """An upload is stored by web and imported by the worker (IMPORT_DIR): in two containers
    that is one named volume, mounted where the image's IMPORT_DIR is."""
    services = compose["services"]
    import_dir = "/app/var/imports"  # core/settings.py: VAR_DIR / "imports", BASE_DIR /app
    mounts = {}
    for name in ("web", "worker"):
        assert services[name]["environment"].get("IMPORT_DIR", import_dir) == import_dir
        mounts[name] = {
            volume.split(":")[0]
            for volume in services[name].get("volumes", [])
            if volume.split(":")[1] == import_dir
        }
        assert mounts[name], f"{name} does not mount {import_dir}"
    shared = mounts["web"] & mounts["worker"]
    assert shared and shared <= set(compose["volumes"]), "one named volume for both"
    # A named volume takes its owner from the image: the directory must exist, owned by the
    # non-root user, or the app cannot write to it.
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"mkdir -p \S*/app/var/imports\b.*chown -R app:app /app/var", dockerfile)


def test_the_secrets_file_never_goes_into_the_image():
    """The Dockerfile copies the whole directory; .env (SECRET_KEY, PSEUDONYM_KEY, the
    database password) sits beside it and must stay out of every image layer."""
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored
    assert "COPY . ." in (ROOT / "Dockerfile").read_text()  # why the line above matters
