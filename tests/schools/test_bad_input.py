"""Bad input on every write endpoint: 400, naming the field (or the row and field) and the
reason, and nothing written anywhere (every table of the project is counted before and after).

The observation cases run three ways: alone (POST /api/observations/), as the bad row 2 of a
batch of three, and the attendance cases as row 2 of an attendance batch.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from schools.models import Role
from tests.factories import MembershipFactory, SchoolFactory, StudentFactory, TermFactory

from .helpers import changed_tables, table_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(school_a, school_b, student_a, alice, adam, ivan):
    """School A with S-0042 (active) and S-0043 (left); school B with S-B001 only."""
    StudentFactory(school=school_a, code="S-0043", is_active=False)
    StudentFactory(school=school_b, code="S-B001")
    return school_a


def _day(school, days_ago=1) -> str:
    return (school.today() - dt.timedelta(days=days_ago)).isoformat()


def _tomorrow(school) -> str:
    return (school.today() + dt.timedelta(days=1)).isoformat()


def _messages(value) -> str:
    if isinstance(value, dict):
        return " ".join(_messages(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(_messages(v) for v in value)
    return str(value)


def assert_refused(response, counts, *, field, says):
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body, body
    assert says.lower() in _messages(body[field]).lower(), body
    assert not changed_tables(counts)


def assert_batch_refused(response, counts, *, row, field, says):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"].startswith("Nothing was written"), body
    matching = [e for e in body["errors"] if e["row"] == row and e["field"] == field]
    assert matching, body
    assert any(says.lower() in e["message"].lower() for e in matching), body
    # Only the bad row is reported: the good rows around it are not blamed.
    assert {e["row"] for e in body["errors"]} == {row}, body
    assert not changed_tables(counts)


# --- observations -------------------------------------------------------------------------


def _good_observation(at, **changes) -> dict:
    row = {
        "student": "S-0042",
        "observed_on": _day(at),
        "signs": ["ISOLATION", "FATIGUE"],
        "note": "Sat alone at lunch again.",
    }
    row.update(changes)
    return {k: v for k, v in row.items() if v is not ...}


# (id, changes to a good row, the field named, words of the reason). `...` removes a field;
# a callable gets the school.
OBSERVATION_CASES = [
    ("missing student", {"student": ...}, "student", "required"),
    ("missing date", {"observed_on": ...}, "observed_on", "required"),
    ("missing signs", {"signs": ...}, "signs", "required"),
    ("no signs", {"signs": []}, "signs", "at least 1"),
    ("unknown sign", {"signs": ["ISOLATION", "SULKING"]}, "signs", "SULKING"),
    ("future date", {"observed_on": _tomorrow}, "observed_on", "future"),
    ("not a date", {"observed_on": "3/11/2025"}, "observed_on", "date has wrong format"),
    ("student of another school", {"student": "S-B001"}, "student", "No student with code"),
    ("another school named", {"school": "south"}, "school", "cannot record"),
    ("unknown student", {"student": "S-9999"}, "student", "No student with code"),
    ("student who left", {"student": "S-0043"}, "student", "no longer active"),
    ("malformed code", {"student": "s-42"}, "student", "like S-0042"),
    ("a name for a code", {"student": "Jane Smith"}, "student", "like S-0042"),
    ("note over 500", {"note": "x" * 501}, "note", "500"),
    ("note with e-mail", {"note": "Mum says write to mum@example.org"}, "note", "e-mail"),
    ("note with phone", {"note": "Call home on +44 20 7946 0958 today"}, "note", "phone"),
    ("note with digits", {"note": "Case ref 4471829 from social care"}, "note", "six or more"),
    ("bad client id", {"client_id": "not-a-uuid"}, "client_id", "UUID"),
]


def _resolve(changes: dict, school) -> dict:
    return {k: v(school) if callable(v) else v for k, v in changes.items()}


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [c[1:] for c in OBSERVATION_CASES],
    ids=[c[0] for c in OBSERVATION_CASES],
)
def test_observation_create_refuses(api, setting, alice, changes, field, says):
    counts = table_counts()
    body = _good_observation(setting, **_resolve(changes, setting))
    response = api.as_(alice).post("/api/observations/", body, format="json")
    assert_refused(response, counts, field=field, says=says)


def test_a_good_observation_is_recorded(api, setting, alice):
    """The baseline the refusals above are measured against."""
    counts = table_counts()
    response = api.as_(alice).post("/api/observations/", _good_observation(setting))
    assert response.status_code == 201, response.content
    assert changed_tables(counts) == {
        "schools.Observation": (0, 1),
        "schools.ObservationSign": (0, 2),
        # The school's near-real-time evaluation, asked for in the same statement.
        "schools.EvaluationRequest": (0, 1),
    }


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [c[1:] for c in OBSERVATION_CASES],
    ids=[c[0] for c in OBSERVATION_CASES],
)
def test_observation_batch_with_one_bad_row_writes_nothing(
    api, setting, alice, changes, field, says
):
    counts = table_counts()
    rows = [
        _good_observation(setting, client_id=str(uuid.uuid4())),
        _good_observation(setting, **_resolve(changes, setting)),
        _good_observation(setting, client_id=str(uuid.uuid4()), signs=["LATE"]),
    ]
    response = api.as_(alice).post(
        "/api/observations/batch/", {"observations": rows}, format="json"
    )
    assert_batch_refused(response, counts, row=2, field=field, says=says)


def test_a_good_observation_batch_is_recorded(api, setting, alice):
    counts = table_counts()
    rows = [_good_observation(setting, client_id=str(uuid.uuid4())) for _ in range(3)]
    response = api.as_(alice).post("/api/observations/batch/", {"observations": rows})
    assert response.status_code == 201, response.content
    assert response.json() == {"created": 3, "duplicates": 0}
    assert changed_tables(counts)["schools.Observation"] == (0, 3)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({}, "required"),
        ({"observations": []}, "empty"),
        ({"observations": "S-0042"}, "list"),
        ([{"student": "S-0042"}], "dictionary"),
        ({"observations": ["S-0042"]}, "dictionary"),
    ],
    ids=["no rows key", "empty", "not a list", "a list body", "a row not an object"],
)
def test_observation_batch_of_the_wrong_shape_is_refused(api, setting, alice, body, says):
    counts = table_counts()
    response = api.as_(alice).post("/api/observations/batch/", body, format="json")
    assert response.status_code == 400, response.content
    assert says.lower() in _messages(response.json()).lower(), response.json()
    assert not changed_tables(counts)


def test_observation_batch_over_500_rows_is_refused(api, setting, alice):
    counts = table_counts()
    rows = [_good_observation(setting) for _ in range(501)]
    response = api.as_(alice).post("/api/observations/batch/", {"observations": rows})
    assert response.status_code == 400, response.content
    assert "500" in _messages(response.json())
    assert not changed_tables(counts)


def test_observation_batch_repeating_a_client_id_names_the_row(api, setting, alice):
    counts = table_counts()
    same = str(uuid.uuid4())
    rows = [
        _good_observation(setting, client_id=same),
        _good_observation(setting, client_id=str(uuid.uuid4())),
        _good_observation(setting, client_id=same, signs=["LATE"]),
    ]
    response = api.as_(alice).post("/api/observations/batch/", {"observations": rows})
    assert_batch_refused(response, counts, row=3, field="client_id", says="row 1")


# --- dates are school-local -----------------------------------------------------------------


def test_the_future_is_judged_by_the_schools_own_date(api):
    """The same date is today at Kiritimati (UTC+14) and tomorrow at Pago Pago (UTC-11): at
    any instant their dates differ, so only a school-local check can accept it at one school
    and refuse it at the other."""
    east = SchoolFactory(code="east", time_zone="Pacific/Kiritimati")
    west = SchoolFactory(code="west", time_zone="Pacific/Pago_Pago")
    teacher = MembershipFactory(school=east, role=Role.TEACHER).user
    MembershipFactory(user=teacher, school=west, role=Role.TEACHER)
    for school in (east, west):
        TermFactory(school=school)
        StudentFactory(school=school, code="S-0001")
    day = east.today()
    assert west.today() < day
    client = api.as_(teacher)
    body = {"student": "S-0001", "observed_on": day.isoformat(), "signs": ["ISOLATION"]}

    counts = table_counts()
    refused = client.post("/api/observations/", body | {"school": "west"})
    assert_refused(refused, counts, field="observed_on", says="future at west")

    accepted = client.post("/api/observations/", body | {"school": "east"})
    assert accepted.status_code == 201, accepted.content


# --- attendance ---------------------------------------------------------------------------


def _good_mark(at, **changes) -> dict:
    row = {
        "student": "S-0042",
        "date": _day(at),
        "session": "AM",
        "status": "unauthorised_absence",
        "original_code": "O",
    }
    row.update(changes)
    return {k: v for k, v in row.items() if v is not ...}


ATTENDANCE_CASES = [
    ("missing student", {"student": ...}, "student", "required"),
    ("missing date", {"date": ...}, "date", "required"),
    ("missing session", {"session": ...}, "session", "required"),
    ("missing status", {"status": ...}, "status", "required"),
    ("unknown status", {"status": "absent"}, "status", "not a valid choice"),
    ("unknown session", {"session": "EVE"}, "session", "not a valid choice"),
    ("future date", {"date": _tomorrow}, "date", "future"),
    ("student of another school", {"student": "S-B001"}, "student", "No student with code"),
    ("another school named", {"school": "south"}, "school", "cannot record"),
    ("malformed code", {"student": "42"}, "student", "like S-0042"),
    ("student who left", {"student": "S-0043"}, "student", "no longer active"),
    ("code too long", {"original_code": "X" * 61}, "original_code", "60"),
]


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [c[1:] for c in ATTENDANCE_CASES],
    ids=[c[0] for c in ATTENDANCE_CASES],
)
def test_attendance_batch_with_one_bad_row_writes_nothing(api, setting, ivan, changes, field, says):
    StudentFactory(school=setting, code="S-0044")
    counts = table_counts()
    rows = [
        _good_mark(setting),
        _good_mark(setting, **({"student": "S-0044"} | _resolve(changes, setting))),
        _good_mark(setting, session="PM"),
    ]
    response = api.as_(ivan).post("/api/attendance/batch/", {"records": rows}, format="json")
    assert_batch_refused(response, counts, row=2, field=field, says=says)


def test_a_good_attendance_batch_is_recorded(api, setting, ivan):
    counts = table_counts()
    rows = [_good_mark(setting), _good_mark(setting, session="PM", status="late")]
    response = api.as_(ivan).post("/api/attendance/batch/", {"records": rows})
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0}
    assert changed_tables(counts) == {
        "schools.AttendanceRecord": (0, 2),
        "schools.EvaluationRequest": (0, 1),
    }


def test_attendance_batch_repeating_a_mark_names_both_rows(api, setting, ivan):
    counts = table_counts()
    rows = [_good_mark(setting), _good_mark(setting, session="PM"), _good_mark(setting)]
    response = api.as_(ivan).post("/api/attendance/batch/", {"records": rows})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"].startswith("Nothing was written"), body
    assert any(e["row"] == 3 and "row 1" in e["message"].lower() for e in body["errors"]), body
    assert not changed_tables(counts)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({}, "required"),
        ({"records": []}, "empty"),
        ({"records": "S-0042"}, "list"),
        ([{"student": "S-0042"}], "dictionary"),
        ({"records": [7]}, "dictionary"),
    ],
    ids=["no rows key", "empty", "not a list", "a list body", "a row not an object"],
)
def test_attendance_batch_of_the_wrong_shape_is_refused(api, setting, ivan, body, says):
    counts = table_counts()
    response = api.as_(ivan).post("/api/attendance/batch/", body, format="json")
    assert response.status_code == 400, response.content
    assert says.lower() in _messages(response.json()).lower(), response.json()
    assert not changed_tables(counts)


def test_attendance_batch_over_5000_rows_is_refused(api, setting, ivan):
    counts = table_counts()
    rows = [_good_mark(setting)] * 5001
    response = api.as_(ivan).post("/api/attendance/batch/", {"records": rows})
    assert response.status_code == 400, response.content
    assert "5000" in _messages(response.json()).replace(",", "")
    assert not changed_tables(counts)


# --- students -----------------------------------------------------------------------------

STUDENT_CASES = [
    ("missing code", {"code": ...}, "code", "required"),
    ("lower case", {"code": "s-0042"}, "code", "like S-0042"),
    ("no dash", {"code": "S0042"}, "code", "like S-0042"),
    ("a name", {"code": "Jane Smith"}, "code", "like S-0042"),
    ("too short", {"code": "S-42"}, "code", "like S-0042"),
    ("already there", {"code": "S-0042"}, "code", "already"),
    ("another school", {"school": "south"}, "school", "cannot record"),
    ("year 0", {"year_group": 0}, "year_group", "greater than or equal to 1"),
    ("year 15", {"year_group": 15}, "year_group", "less than or equal to 14"),
    ("year not a number", {"year_group": "nine"}, "year_group", "valid integer"),
]


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [c[1:] for c in STUDENT_CASES],
    ids=[c[0] for c in STUDENT_CASES],
)
def test_student_create_refuses(api, setting, adam, changes, field, says):
    counts = table_counts()
    body = {
        k: v for k, v in ({"code": "S-0100", "year_group": 8} | changes).items() if v is not ...
    }
    response = api.as_(adam).post("/api/students/", body, format="json")
    assert_refused(response, counts, field=field, says=says)


@pytest.mark.parametrize(
    ("year_group", "says"),
    [(0, "greater than or equal to 1"), (15, "less than or equal to 14"), ("x", "valid integer")],
)
def test_student_update_refuses(api, setting, adam, student_a, year_group, says):
    counts = table_counts()
    for method in ("put", "patch"):
        response = getattr(api.as_(adam), method)(
            f"/api/students/{student_a.pk}/", {"year_group": year_group}, format="json"
        )
        assert_refused(response, counts, field="year_group", says=says)
    student_a.refresh_from_db()
    assert student_a.year_group == 9


def test_at_several_schools_the_school_must_be_named(api, school_a, school_b, student_a):
    both = MembershipFactory(school=school_a, role=Role.SCHOOL_ADMIN).user
    MembershipFactory(user=both, school=school_b, role=Role.SCHOOL_ADMIN)
    counts = table_counts()
    response = api.as_(both).post("/api/students/", {"code": "S-0100"})
    assert_refused(response, counts, field="school", says="name the school")
    named = api.as_(both).post("/api/students/", {"code": "S-0100", "school": "south"})
    assert named.status_code == 201
    assert named.json()["school"] == "south"
