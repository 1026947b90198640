"""The OpenAPI 3 document: generated without a single warning, valid, served at /api/schema/,
and it describes every route of the API router."""

from __future__ import annotations

import re

import pytest
import yaml
from django.core.management import call_command
from openapi_spec_validator import validate

from core.routers import api_router


@pytest.fixture(scope="module")
def schema_file(tmp_path_factory):
    """`manage.py spectacular --validate --fail-on-warn`: any generator warning fails here,
    with the warnings printed above the error."""
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return path


@pytest.fixture(scope="module")
def schema(schema_file):
    return yaml.safe_load(schema_file.read_text())


def test_the_schema_is_generated_without_warnings_and_validates(schema):
    validate(schema)  # openapi-spec-validator: raises on any violation of the 3.x spec
    assert schema["openapi"].startswith("3.")


def _router_paths() -> set[str]:
    paths = set()
    for pattern in api_router.urls:
        if not getattr(pattern.callback, "actions", None):
            continue
        regex = pattern.pattern.regex.pattern
        if "(?P<format>" in regex:
            continue
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", regex).removeprefix("^").removesuffix("$")
        paths.add("/api/" + path.replace("{pk}", "{id}"))
    return paths


def test_every_api_route_is_documented(schema):
    documented = set(schema["paths"])
    missing = {p for p in _router_paths() if p not in documented}
    assert not missing, f"Routes missing from /api/schema/: {sorted(missing)}"


def test_the_observation_answers_are_documented(schema):
    create = schema["paths"]["/api/observations/"]["post"]["responses"]
    assert {"200", "201", "409"} <= set(create)
    created = create["201"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    assert "duplicate" in schema["components"]["schemas"][created]["properties"]
    batch = schema["paths"]["/api/observations/batch/"]["post"]["responses"]
    assert {"201", "400"} <= set(batch)
    attendance = schema["paths"]["/api/attendance/batch/"]["post"]["responses"]
    assert {"200", "400"} <= set(attendance)


def test_the_schema_and_docs_are_served(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    served = response.json()
    validate(served)
    assert "/api/students/" in served["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # Swagger UI comes from this service (drf-spectacular-sidecar), never from a CDN.
    assert b"cdn" not in docs.content.lower()


def test_api_route_names_do_not_shadow_the_web_pages():
    from django.urls import reverse

    assert reverse("case-detail", args=[1]) == "/cases/1/"
    assert reverse("api:case-detail", args=[1]) == "/api/cases/1/"
    assert reverse("rule-preview", args=[1]) == "/rules/1/preview/"
    assert reverse("api:rule-preview", args=[1]) == "/api/rules/1/preview/"


def test_the_api_root_lists_the_namespaced_routes(api, alice):
    response = api.as_(alice).get("/api/")
    assert response.status_code == 200
    assert response.json()["cases"].endswith("/api/cases/")


def test_fields_that_can_be_empty_are_nullable(schema):
    components = schema["components"]["schemas"]
    assert components["CaseEvent"]["properties"]["author"]["nullable"] is True
    for field in ("acknowledged_by", "resolved_by"):
        assert components["CaseDetail"]["properties"][field]["nullable"] is True
    assert components["ImportJob"]["properties"]["format"]["nullable"] is True


def test_every_operation_documents_its_error_answers(schema):
    error = "#/components/schemas/Error"
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if path != "/api/auth/token/":
                assert responses["403"]["content"]["application/json"]["schema"]["$ref"] == error
            if "{" in path:
                assert "404" in responses, (method, path)
            if method in ("post", "put", "patch"):
                assert {"400", "413"} <= set(responses), (method, path)
    shape = schema["components"]["schemas"]["Error"]
    assert shape["required"] == ["detail"]
    assert set(shape["properties"]) == {"detail", "errors"}
