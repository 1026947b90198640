"""No body makes a server error: an oversized one is a JSON 413 decided before it is read
(from Content-Length, or by a bounded read of a chunked body), a deeply nested JSON body is a
400, and a URL under /api/ that matches no route is a JSON 404."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

pytestmark = pytest.mark.django_db


class UnreadStream(io.BytesIO):
    """A request body that records whether anything read it."""

    was_read = False

    def read(self, *args):
        self.was_read = True
        return super().read(*args)

    readline = read


def _token_client(user) -> Client:
    from tests.tokens import api_token

    return Client(HTTP_AUTHORIZATION=f"Token {api_token(user)}")


def test_a_json_body_over_the_limit_is_413_before_it_is_read(alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = UnreadStream(b"{}")
    response = _token_client(alice).generic(
        "POST",
        "/api/observations/batch/",
        CONTENT_TYPE="application/json",
        CONTENT_LENGTH="10001",
        **{"wsgi.input": body},
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    detail = response.json()["detail"]
    assert "10,001 bytes" in detail and "10,000" in detail
    assert "DATA_UPLOAD_MAX_MEMORY_SIZE" in detail
    assert not body.was_read


def test_a_chunked_body_is_read_only_up_to_the_limit(alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = io.BytesIO(b"[" + b"0," * 1_000_000 + b"0]")  # 2 MB sent without a length
    response = _token_client(alice).generic(
        "POST",
        "/api/observations/batch/",
        CONTENT_TYPE="application/json",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": body},
    )
    assert response.status_code == 413
    assert "more than 10,000 bytes" in response.json()["detail"]
    assert body.tell() <= 10_001


def test_a_small_chunked_body_reaches_the_view(alice, student_a):
    day = student_a.school.today().isoformat()
    payload = json.dumps({"student": "S-0042", "observed_on": day, "signs": ["ISOLATION"]})
    response = _token_client(alice).generic(
        "POST",
        "/api/observations/",
        CONTENT_TYPE="application/json",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": io.BytesIO(payload.encode())},
    )
    assert response.status_code == 201, response.content
    assert response.json()["student"] == "S-0042"


def test_an_import_has_its_own_limit(ivan, settings, tmp_path):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    settings.IMPORT_MAX_BYTES = 100_000
    settings.IMPORT_DIR = tmp_path
    client = _token_client(ivan)
    rows = "".join(f"{n},2026-03-02,AM,N\n" for n in range(500))  # ~10 kB: over the JSON limit
    upload = SimpleUploadedFile("marks.csv", ("student_ref,date,session,code\n" + rows).encode())
    accepted = client.post("/api/imports/", {"file": upload})
    assert accepted.status_code == 202, accepted.content

    body = UnreadStream(b"")
    refused = client.generic(
        "POST",
        "/api/imports/",
        CONTENT_TYPE="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(100_000 + 64 * 1024 + 1),
        **{"wsgi.input": body},
    )
    assert refused.status_code == 413
    assert "IMPORT_MAX_BYTES" in refused.json()["detail"]
    assert not body.was_read


def test_a_deeply_nested_json_body_is_a_400(alice):
    client = _token_client(alice)
    for depth in (100_000, 33):
        response = client.post(
            "/api/observations/", data="[" * depth + "]" * depth, content_type="application/json"
        )
        assert response.status_code == 400, depth
        assert "nested deeper than 32 levels" in response.json()["detail"]
    # Shallow JSON of the wrong shape is an ordinary validation answer.
    shallow = client.post("/api/observations/", data="[[[]]]", content_type="application/json")
    assert shallow.status_code == 400
    assert "nested" not in shallow.content.decode()


def test_an_unknown_api_url_is_a_json_404(alice):
    response = _token_client(alice).get("/api/attendance/-4.5e-227/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    # The pages keep their own 404 page.
    page = Client().get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
