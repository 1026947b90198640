"""Every operation of /api/schema/, for each of four roles with an API token (a teacher, a
counsellor, a school admin, an integration), with inputs schemathesis generates from the
schema, valid and invalid: no server error, and every answer is one the schema documents, in
the shape it documents.

The WSGI application is called in-process (no server), in the test's own database
transaction. Each generated request is sent once as generated and, when it names an object by
id, once more with the id of a real object of that kind, so the detail and action operations
meet real rows and not only 404s.

Bounded for CI: schemathesis's fixed coverage cases (boundary and invalid values), then
SCHEMATHESIS_MAX_EXAMPLES generated cases per operation and role (default 10), with a fixed
seed and derandomized generation, so a run is reproducible and a failure found in CI is found
again locally. `schemathesis_stats` counts what was sent (printed at the end).
"""

from __future__ import annotations

import os
from collections import Counter

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from alerts.models import EventKind, WarningRule
from core.wsgi import application
from schools.models import Role
from tests.factories import (
    AttendanceRecordFactory,
    CaseEventFactory,
    FlaggedCaseFactory,
    ImportJobFactory,
    NoticeFactory,
    ObservationFactory,
)
from tests.tokens import api_token

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10"))
SEED = 20260901

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
            "mode": "all",  # schema-valid and schema-invalid inputs
        },
        "phases": {
            # One request at a time, each checked on its own; no chains of requests.
            "stateful": {"enabled": False},
            # Methods an operation does not have get Django REST framework's 405 everywhere:
            # not worth thousands of requests.
            "coverage": {"unexpected-methods": []},
        },
    }
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Loaded once, at collection: the schema view needs no database and no login.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)

ROLES = {
    Role.TEACHER: "alice",
    Role.COUNSELLOR: "carol",
    Role.SCHOOL_ADMIN: "adam",
    Role.INTEGRATION: "ivan",
}

# Requests sent, by operation; and generated cases (each sent once, or twice with a real id).
schemathesis_stats: Counter = Counter()
schemathesis_cases: Counter = Counter()


@pytest.fixture
def _wsgi_in_test_transaction():
    """Let in-process WSGI requests use the test's transaction, as Django's test client does:
    the handler's signals would otherwise close the connection in the middle of it."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def known_ids(school_a, school_b, student_a, student_b, alice, carol, adam, ivan, bob, cora):
    """Real rows of every kind at school A (and some at school B, which must stay 404)."""
    observation = ObservationFactory(
        student=student_a, recorded_by=alice, note="Ate lunch alone in the library."
    )
    mark = AttendanceRecordFactory(student=student_a)
    case = FlaggedCaseFactory(student=student_a)
    # A system event (no author) and a person's note: the timeline has both.
    CaseEventFactory(case=case, kind=EventKind.OPENED, author=None, text="")
    CaseEventFactory(case=case, kind=EventKind.NOTE, author=carol, text="Called home.")
    notice = NoticeFactory(user=carol, case=case, text="A new case for S-0042.")
    job = ImportJobFactory(school=school_a, uploaded_by=adam, format="csv")
    FlaggedCaseFactory(student=student_b)
    return {
        "/api/schools/": school_a.pk,
        "/api/students/": student_a.pk,
        "/api/observations/": observation.pk,
        "/api/attendance/": mark.pk,
        "/api/cases/": case.pk,
        "/api/rules/": WarningRule.objects.filter(school=school_a).first().pk,
        "/api/notices/": notice.pk,
        "/api/imports/": job.pk,
    }


@pytest.fixture
def tokens(request, known_ids):
    return {role: api_token(request.getfixturevalue(name)) for role, name in ROLES.items()}


def _real_id(case, known_ids) -> int | None:
    if "id" not in (case.path_parameters or {}):
        return None
    for prefix, pk in known_ids.items():
        if case.path.startswith(prefix):
            return pk
    return None


@pytest.mark.parametrize("role", list(ROLES))
@schema.parametrize()
@hypothesis.settings(
    suppress_health_check=list(hypothesis.HealthCheck), deadline=None, derandomize=True
)
def test_no_server_error_and_every_answer_as_documented(
    case, role, tokens, known_ids, _wsgi_in_test_transaction
):
    headers = {"Authorization": f"Token {tokens[role]}"}
    # call_and_validate raises when any of CHECKS fails (the documented status codes, the
    # documented shapes, no 5xx); the assertions say the first of them in the test itself.
    response = case.call_and_validate(headers=headers, checks=CHECKS)
    assert response.status_code < 500, (case.operation.label, response.status_code)
    schemathesis_cases[case.operation.label] += 1
    schemathesis_stats[case.operation.label] += 1
    real = _real_id(case, known_ids)
    if real is not None:
        case.path_parameters["id"] = real
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        assert response.status_code < 500, (case.operation.label, response.status_code)
        schemathesis_stats[case.operation.label] += 1


def pytest_schemathesis_summary() -> str:
    return (
        f"schemathesis: {len(schemathesis_stats)} operations x {len(ROLES)} roles, "
        f"{sum(schemathesis_cases.values())} generated cases, "
        f"{sum(schemathesis_stats.values())} requests"
    )
