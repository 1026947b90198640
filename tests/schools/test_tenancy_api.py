"""Tenancy for every API endpoint: school B's objects do not exist for a user of school A.

The endpoints are read from the router itself (core.routers.api_router), so a new one cannot be
forgotten: each route needs an entry below saying how to make one object of its resource (and,
for a route that writes without naming an object, a body that aims at school B). A route with
no entry fails `test_every_route_has_a_tenancy_case` with a message saying what to add.

Expectations, for the users of school A (alice and tom teachers, carol counsellor, adam admin,
ivan integration):
- a list never includes a row of school B, even when asked for it with ?school=south;
- B's object answers exactly like an object that does not exist (404 for anyone who could
  otherwise reach it; never a 403 that would confirm it exists), and is left unchanged;
- a write aimed at school B is refused with 400 and writes nothing at all.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.urls import resolve

from core.routers import api_router
from schools.models import AttendanceRecord, ImportJob, Observation, School, Student
from tests.factories import (
    AttendanceRecordFactory,
    CaseFactory,
    ImportJobFactory,
    NoticeFactory,
    ObservationFactory,
    StudentFactory,
    WarningRuleFactory,
)

from .helpers import changed_tables, result_ids, table_counts

A_USERS = ("alice", "tom", "carol", "adam", "ivan")
MISSING_PK = 987654321


def _yesterday(school: School) -> dt.date:
    return school.today() - dt.timedelta(days=1)


@dataclass(frozen=True)
class Resource:
    """How to make one object of a route's resource, owned by `school`.

    `make(school, member)` gets a member of staff of that school who may record there (adam at
    A, bella at B). `actor` is the user of school A who can read this resource at A and, where
    the resource can be written, write it: the one for whom 404 (not 403) is the only answer.
    """

    model: type
    make: Callable[[School, Any], Any]
    actor: str = "adam"
    # Bodies for detail writes, so that a missing scope would show as a 200, not a 400.
    detail_bodies: dict[str, dict] = field(default_factory=dict)


def _student(school, member):
    return StudentFactory(school=school, code="S-T001")


def _observation(school, member):
    student = StudentFactory(school=school, code="S-T002")
    return ObservationFactory(
        student=student, recorded_by=member, observed_on=_yesterday(school), signs=["ISOLATION"]
    )


def _attendance(school, member):
    student = StudentFactory(school=school, code="S-T003")
    return AttendanceRecordFactory(student=student, date=_yesterday(school))


def _case_obj(school, member):

    student = StudentFactory(school=school, code="S-T004")
    day = _yesterday(school)
    return CaseFactory(student=student, evidence_on=day)


def _rule(school, member):
    return WarningRuleFactory(
        school=school, name="Tenancy test rule", kind="sign_pattern", signs=["ISOLATION"]
    )


def _notice(school, member):
    day = _yesterday(school)
    case = CaseFactory(student=StudentFactory(school=school, code="S-T005"), evidence_on=day)
    return NoticeFactory(user=member, case=case, text="A case was opened: S-T005")


def _outcome(school, member):
    from alerts.models import Outcome

    student = StudentFactory(school=school, code="S-T006")
    return Outcome.objects.create(
        student=student, kind="no_concern", on_date=_yesterday(school), source="import"
    )


def _backtest_run(school, member):
    from alerts.models import BacktestRun

    return BacktestRun.objects.create(school=school, key=f"tenancy-{school.code}")


def _outcomes_csv() -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "outcomes.csv", b"student_ref,outcome,date\n1,no_concern,2025-11-03\n", "text/csv"
    )


def _import_job(school, member):
    return ImportJobFactory(school=school, uploaded_by=member, format="csv")


def _upload() -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "register.csv", b"student,date,session,status\nS-T001,2025-11-03,AM,O\n", "text/csv"
    )


# Every case action reads what it needs from one body.
CASE_POST_BODY = {
    "status": "acknowledged",
    "text": "Seen in the corridor",
    "reason": "Settled",
    "action_type": "talk_with_family",
}
RULE_BODY = {"name": "Renamed", "kind": "sign_pattern", "signs": ["FATIGUE"]}

# One entry per router basename.
RESOURCES: dict[str, Resource] = {
    "school": Resource(model=School, make=lambda school, member: school),
    "student": Resource(
        model=Student,
        make=_student,
        detail_bodies={"put": {"year_group": 11}, "patch": {"year_group": 11}},
    ),
    "observation": Resource(model=Observation, make=_observation),
    "attendance": Resource(model=AttendanceRecord, make=_attendance),
    "case": Resource(model=None, make=_case_obj, detail_bodies={"post": CASE_POST_BODY}),
    "notice": Resource(model=None, make=_notice),
    "import-job": Resource(model=ImportJob, make=_import_job),
    "outcome": Resource(model=None, make=_outcome),
    "backtest": Resource(model=None, make=_backtest_run),
    "rule": Resource(
        model=None,
        make=_rule,
        detail_bodies={"put": RULE_BODY, "patch": {"description": "Edited"}, "post": {}},
    ),
}


# Writes that name no object in the URL: a body aimed at school B, by (route name, method).
# Each gets school B's object made by the resource, so it can use its student's code.
def _obs_row(school_code: str, student_code: str) -> dict:
    return {
        "school": school_code,
        "student": student_code,
        "observed_on": (dt.date.today() - dt.timedelta(days=2)).isoformat(),
        "signs": ["ISOLATION"],
    }


def _att_row(school_code: str, student_code: str) -> dict:
    return {
        "school": school_code,
        "student": student_code,
        "date": (dt.date.today() - dt.timedelta(days=2)).isoformat(),
        "session": "AM",
        "status": "unauthorised_absence",
    }


# Bodies sent as multipart rather than JSON, by (route name, method).
MULTIPART = {("import-job-list", "post"), ("outcome-import", "post")}

FOREIGN_WRITES: dict[tuple[str, str], Callable[[Any], list[dict]]] = {
    ("import-job-list", "post"): lambda b: [{"school": "south", "file": _upload()}],
    ("outcome-import", "post"): lambda b: [{"school": "south", "file": _outcomes_csv()}],
    ("student-list", "post"): lambda b: [
        {"school": "south", "code": "S-NEW1", "year_group": 8},
    ],
    ("observation-list", "post"): lambda b: [
        _obs_row("south", b.student.code),
        # Without naming the school: B's student code does not exist at A.
        {k: v for k, v in _obs_row("south", "S-BONLY").items() if k != "school"},
    ],
    ("observation-batch", "post"): lambda b: [
        {"observations": [_obs_row("south", b.student.code)]},
        {"observations": [{k: v for k, v in _obs_row("", "S-BONLY").items() if k != "school"}]},
    ],
    ("rule-list", "post"): lambda b: [
        {"school": "south", "name": "Foreign rule", "kind": "sign_pattern", "signs": ["LATE"]},
    ],
    ("notice-read_all", "post"): lambda b: [{"school": "south"}],
    ("attendance-batch", "post"): lambda b: [
        {"records": [_att_row("south", b.student.code)]},
        {"records": [{k: v for k, v in _att_row("", "S-BONLY").items() if k != "school"}]},
    ],
}


@dataclass(frozen=True)
class Route:
    name: str
    basename: str
    detail: bool
    method: str
    action: str
    # The path under /api/, from the router's own pattern: not reverse(name), because a web
    # page elsewhere may reuse a route name (the API's names are not namespaced).
    template: str

    def url(self, pk=None) -> str:
        return "/api/" + self.template.replace("{pk}", str(pk))

    def __str__(self) -> str:
        return f"{self.name}:{self.method}"


def _routes() -> list[Route]:
    routes: dict[tuple[str, str], Route] = {}
    for pattern in api_router.urls:
        actions = getattr(pattern.callback, "actions", None)
        if not actions or pattern.name in routes:
            continue  # the API root, and the format-suffix twin of a route already seen
        detail = "pk" in pattern.pattern.regex.groupindex
        basename = pattern.name.rsplit("-", 1)[0]
        template = re.sub(r"\(\?P<pk>[^)]*\)", "{pk}", pattern.pattern.regex.pattern)
        template = template.removeprefix("^").removesuffix("$")
        for method, action in actions.items():
            routes.setdefault(
                (pattern.name, method),
                Route(pattern.name, basename, detail, method, action, template),
            )
    return list(routes.values())


ROUTES = _routes()
LIST_ROUTES = [r for r in ROUTES if not r.detail and r.method == "get"]
DETAIL_ROUTES = [r for r in ROUTES if r.detail]
COLLECTION_WRITES = [r for r in ROUTES if not r.detail and r.method != "get"]


def _missing_case(route: Route) -> str | None:
    if route.basename not in RESOURCES:
        return (
            f"API route {route.name} ({route.method.upper()}) has no tenancy case: add an entry "
            f"for {route.basename!r} to RESOURCES in tests/schools/test_tenancy_api.py saying "
            "how to make one object of it at a school."
        )
    if route in COLLECTION_WRITES and (route.name, route.method) not in FOREIGN_WRITES:
        return (
            f"API route {route.name} ({route.method.upper()}) writes without naming an object "
            "and has no tenancy case: add a body aimed at school B to FOREIGN_WRITES in "
            "tests/schools/test_tenancy_api.py."
        )
    return None


def _case(route: Route) -> Resource:
    problem = _missing_case(route)
    if problem:
        pytest.fail(problem)
    return RESOURCES[route.basename]


def _snapshot(obj) -> dict:
    fresh = type(obj)._default_manager.get(pk=obj.pk)
    return model_to_dict(fresh) | {"pk": fresh.pk}


@pytest.fixture
def world(request, school_a, school_b, alice, tom, carol, adam, ivan, bob, cora, bella):
    """Both schools, every named user, and a user lookup by name."""

    class World:
        a, b = school_a, school_b

        def user(self, name):
            return request.getfixturevalue(name)

    return World()


def test_the_router_is_read():
    """The parametrised tests below are only as good as the route list they run over."""
    names = {r.name for r in ROUTES}
    assert {"student-list", "student-detail", "observation-batch", "attendance-batch"} <= names
    assert LIST_ROUTES and DETAIL_ROUTES and COLLECTION_WRITES
    for route in ROUTES:
        match = resolve(route.url(1))
        assert getattr(match.func, "actions", {}).get(route.method) == route.action, route


def test_every_route_has_a_tenancy_case():
    problems = [p for p in map(_missing_case, ROUTES) if p]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("route", LIST_ROUTES, ids=str)
def test_a_list_never_shows_another_schools_rows(api, world, route):
    resource = _case(route)
    own = resource.make(world.a, world.user("adam"))
    foreign = resource.make(world.b, world.user("bella"))
    url = route.url()

    # The actor sees school A's row: the list is not simply empty.
    response = api.as_(world.user(resource.actor)).get(url, {"page_size": 500})
    assert response.status_code == 200, response.content
    assert own.pk in result_ids(response)

    for name in A_USERS:
        client = api.as_(world.user(name))
        for params in ({"page_size": 500}, {"page_size": 500, "school": "south"}):
            response = client.get(url, params)
            assert response.status_code in (200, 403, 404), (name, response.content)
            if response.status_code == 200:
                assert foreign.pk not in result_ids(response), (name, params)


@pytest.mark.parametrize("route", DETAIL_ROUTES, ids=str)
def test_another_schools_object_answers_404_and_is_unchanged(api, world, route):
    resource = _case(route)
    resource.make(world.a, world.user("adam"))
    foreign = resource.make(world.b, world.user("bella"))
    before = _snapshot(foreign)
    counts = table_counts()
    body = resource.detail_bodies.get(route.method, {})

    def call(user, pk):
        client = api.as_(user)
        return getattr(client, route.method)(route.url(pk), body)

    response = call(world.user(resource.actor), foreign.pk)
    assert response.status_code == 404, response.content

    # Everyone else at A gets what they would get for an object that does not exist at all.
    for name in A_USERS:
        user = world.user(name)
        assert call(user, foreign.pk).status_code == call(user, MISSING_PK).status_code, name
        assert call(user, foreign.pk).status_code != 200, name

    assert _snapshot(foreign) == before
    assert not changed_tables(counts)


@pytest.mark.parametrize("route", COLLECTION_WRITES, ids=str)
def test_a_write_aimed_at_another_school_is_refused_and_writes_nothing(api, world, route):
    resource = _case(route)
    foreign = resource.make(world.b, world.user("bella"))
    StudentFactory(school=world.b, code="S-BONLY")
    url = route.url()
    client = api.as_(world.user(resource.actor))
    fmt = "multipart" if (route.name, route.method) in MULTIPART else "json"
    for body in FOREIGN_WRITES[(route.name, route.method)](foreign):
        counts = table_counts()
        response = getattr(client, route.method)(url, body, format=fmt)
        assert response.status_code == 400, (body, response.content)
        # Refused for the school or the student, not for some other fault of the body.
        answer = response.content.decode()
        assert "school" in answer or "student" in answer, answer
        assert not changed_tables(counts), body


@pytest.mark.parametrize("route", LIST_ROUTES, ids=str)
def test_every_list_is_paginated(api, world, route):
    resource = _case(route)
    resource.make(world.a, world.user("adam"))
    response = api.as_(world.user(resource.actor)).get(route.url(), {"page_size": 1})
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) >= {"count", "next", "previous", "results"}, body
    assert body["count"] >= 1
    assert len(body["results"]) == 1
