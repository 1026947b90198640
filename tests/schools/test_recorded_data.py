"""The recorded data: what a student is (and is not), the sign vocabulary
of WARNING_SIGNS.md, and the invariants the database itself enforces, so that no path around
the services (an import, a shell, a race) can break them."""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction

from schools.models import AttendanceRecord, Observation, ObservationSign, Student
from schools.signs import Sign
from tests.factories import AttendanceRecordFactory, ObservationFactory, StudentFactory

from .helpers import changed_tables, table_counts

pytestmark = pytest.mark.django_db

SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "WARNING_SIGNS.md"


def test_a_student_is_a_code_and_a_year_group_and_nothing_that_names_them():
    """Every field of Student, listed: a new one fails here and needs a privacy decision."""
    fields = {f.name for f in Student._meta.concrete_fields}
    assert fields == {
        "id",
        "school",
        "code",
        "year_group",
        "assigned_counsellor",
        "is_active",
        # The last day on roll (docs/DECISIONS.md: a roll fact, not an identity).
        "left_on",
        "pseudonym_key_version",
        "created_at",
    }
    words = re.compile(r"name|birth|dob|address|postcode|email|phone|external|upn|ref", re.I)
    assert not [f for f in fields if words.search(f)]


def _spec_codes() -> set[str]:
    if not SPEC.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{SPEC} is not present (CI has shared/ beside the clone)")
        pytest.skip(f"{SPEC} is not present")
    text = SPEC.read_text()
    observed = set(re.findall(r"^\| `([A-Z_]+)` \|", text, flags=re.M))
    context = set(re.findall(r"`([A-Z_]+)` \(", text))
    assert observed and context, "the spec's tables were not found"
    return observed | context


def test_the_sign_codes_are_those_of_warning_signs_md():
    assert set(Sign.values) == _spec_codes()


def test_every_sign_the_context_ones_included_can_be_recorded(api, school_a, student_a, alice):
    day = school_a.today() - dt.timedelta(days=1)
    body = {"student": "S-0042", "observed_on": day.isoformat(), "signs": list(Sign.values)}
    response = api.as_(alice).post("/api/observations/", body, format="json")
    assert response.status_code == 201, response.content
    observation = Observation.objects.get(pk=response.json()["id"])
    assert set(observation.signs.values_list("sign", flat=True)) == set(Sign.values)


# --- invariants held by the database, written around the services on purpose ---------------


def assert_refused_by_the_database(write) -> None:
    counts = table_counts()
    with pytest.raises(IntegrityError), transaction.atomic():
        write()
    assert not changed_tables(counts)


def test_one_attendance_record_per_student_date_and_session(student_a):
    mark = AttendanceRecordFactory(student=student_a, date=dt.date(2026, 1, 5), session="AM")
    assert_refused_by_the_database(
        lambda: AttendanceRecord.objects.create(
            student=student_a, date=mark.date, session="AM", status="late"
        )
    )
    # The other session of the same day is a different mark.
    AttendanceRecord.objects.create(student=student_a, date=mark.date, session="PM", status="late")


def test_a_client_id_makes_one_observation_only(student_a, alice):
    first = ObservationFactory(student=student_a, recorded_by=alice, client_id=uuid.uuid4())
    assert_refused_by_the_database(
        lambda: Observation.objects.create(
            student=student_a,
            observed_on=first.observed_on,
            recorded_by=alice,
            client_id=first.client_id,
        )
    )


def test_an_unknown_sign_code_cannot_be_stored(student_a, alice):
    observation = ObservationFactory(student=student_a, recorded_by=alice)
    assert_refused_by_the_database(
        lambda: ObservationSign.objects.create(observation=observation, sign="SULKING")
    )


def test_a_student_code_is_unique_within_its_school_only(school_a, school_b, student_a):
    assert_refused_by_the_database(lambda: Student.objects.create(school=school_a, code="S-0042"))
    assert StudentFactory(school=school_b, code="S-0042").pk


@pytest.mark.parametrize("year_group", [0, 15])
def test_a_year_group_outside_1_to_14_cannot_be_stored(school_a, year_group):
    assert_refused_by_the_database(
        lambda: Student.objects.create(school=school_a, code="S-0099", year_group=year_group)
    )


# --- who a school names for its cases ----------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "name", "refused"),
    [
        ("designated_counsellor", "carol", None),
        ("designated_counsellor", "alice", "a counsellor"),
        ("designated_counsellor", "adam", "a counsellor"),
        ("designated_counsellor", "cora", "member of staff of this school"),
        ("deputy", "carol", None),
        ("deputy", "adam", None),
        ("deputy", "alice", "a counsellor or school admin"),
        ("deputy", "ivan", "a counsellor or school admin"),
        ("deputy", "bella", "member of staff of this school"),
    ],
)
def test_the_school_names_people_who_can_open_a_case(
    request, school_a, alice, carol, adam, ivan, cora, bella, field, name, refused
):
    """The designated counsellor and the deputy are told about cases; a teacher or the
    integration account could not open one (teachers never see cases)."""
    from django.core.exceptions import ValidationError

    setattr(school_a, field, request.getfixturevalue(name))
    if refused is None:
        school_a.full_clean()
        return
    with pytest.raises(ValidationError) as refusal:
        school_a.full_clean()
    assert refused in " ".join(refusal.value.message_dict[field])


def test_an_observation_dated_in_the_future_fails_validation(school_a, student_a, alice):
    """What the admin's form runs (full_clean): the school's date decides."""
    from django.core.exceptions import ValidationError

    observation = Observation(
        student=student_a,
        observed_on=school_a.today() + dt.timedelta(days=1),
        recorded_by=alice,
    )
    with pytest.raises(ValidationError) as refusal:
        observation.full_clean()
    assert "future" in " ".join(refusal.value.message_dict["observed_on"])
    observation.observed_on = school_a.today()
    observation.full_clean()


@pytest.mark.parametrize(
    ("name", "accepted"), [("carol", True), ("alice", False), ("adam", False), ("cora", False)]
)
def test_a_students_assigned_counsellor_is_a_counsellor_of_their_school(
    request, student_a, carol, alice, adam, cora, name, accepted
):
    from django.core.exceptions import ValidationError

    student_a.assigned_counsellor = request.getfixturevalue(name)
    if accepted:
        student_a.full_clean()
        return
    with pytest.raises(ValidationError) as refusal:
        student_a.full_clean()
    assert "counsellor of this student's school" in " ".join(
        refusal.value.message_dict["assigned_counsellor"]
    )


@pytest.mark.parametrize("code", ["John Smith", "s-0042", "S-42", "604822"])
def test_a_code_off_the_pattern_cannot_be_stored_even_around_the_forms(school_a, code):
    assert_refused_by_the_database(
        lambda: Student.objects.bulk_create([Student(school=school_a, code=code)])
    )
