"""In a deployment gunicorn is the only server in front of Django (docker-compose.yml has no
file server), so with DEBUG off the pages' styles and scripts, the admin's and the API docs'
must still be served: collected into STATIC_ROOT, as the Dockerfile does, and answered by the
same process that answers the pages.
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# One file of each kind a page loads: ours, the admin's, the Swagger UI's (drf-spectacular-sidecar).
STATIC_FILES = [
    "/static/css/app.css",
    "/static/admin/css/base.css",
    "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, **headers: str) -> tuple[int, bytes]:
    status, body, _headers = _fetch(url, **headers)
    return status, body


def _fetch(url: str, **headers: str):
    # Behind the TLS proxy, as in a deployment: otherwise the answer is the HTTPS redirect.
    request = urllib.request.Request(  # noqa: S310
        url, headers={"X-Forwarded-Proto": "https", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as e:
        return e.code, b"", e.headers


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    static_root = tmp_path_factory.mktemp("staticfiles")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATIC_ROOT": str(static_root),
        "DATABASE_URL": os.environ.get(
            "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/early_warning"
        ),
    }
    # What the Dockerfile does at build time (with DEBUG off: hashed names, compressed copies).
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        timeout=120,
    )
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 (the image's command, a fixed argument list)
        [str(BIN / "gunicorn"), "core.wsgi:application", "--bind", f"127.0.0.1:{port}"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"gunicorn exited: {server.stderr.read().decode()}")
                time.sleep(0.1)
        yield base, static_root
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.parametrize("path", STATIC_FILES)
def test_gunicorn_serves_the_collected_static_files_with_debug_off(production_server, path):
    base, static_root = production_server
    status, body = _get(base + path)
    assert status == 200, path
    assert body == (static_root / path.removeprefix("/static/")).read_bytes()


def test_a_missing_static_file_is_a_404(production_server):
    base, _ = production_server
    assert _get(base + "/static/css/no-such-file.css")[0] == 404


def test_static_files_go_out_compressed_and_hashed_names_are_cached_for_a_year(
    production_server,
):
    base, static_root = production_server
    manifest = json.loads((static_root / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/app.css"]
    assert hashed != "css/app.css"
    status, body, headers = _fetch(f"{base}/static/{hashed}", **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == (static_root / "css/app.css").read_bytes()
    cache_control = headers["Cache-Control"]
    assert "immutable" in cache_control
    assert int(cache_control.split("max-age=")[1].split(",")[0]) >= 365 * 24 * 3600


def test_pages_link_the_hashed_names_and_are_not_compressed(production_server):
    """A page reflects a per-request CSRF token (and, signed in, a student's records): it is
    never compressed, whatever the browser accepts (docs/OPERATIONS.md, compression)."""
    base, static_root = production_server
    manifest = json.loads((static_root / "staticfiles.json").read_text())
    status, body, headers = _fetch(f"{base}/login/", **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers.get("Content-Encoding") is None
    assert f"/static/{manifest['paths']['css/app.css']}".encode() in body
