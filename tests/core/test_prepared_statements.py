"""The statements every API write runs are prepared on the server once a connection has run
them a few times (core.rows.prepared_cursor), and are still Django's queries in every other
way: counted, logged, answered with the same values."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from core.rows import prepared_cursor
from schools.models import Observation, Student
from tests.tokens import token_client

pytestmark = pytest.mark.django_db

THRESHOLD = 5  # runs before a statement is prepared: psycopg's default, set in core/settings.py


def _prepared(marker: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%{marker}%"],
        )
        return cursor.fetchone()[0] > 0


def _run(sql: str, times: int) -> list:
    answers = []
    for _ in range(times):
        with prepared_cursor() as cursor:
            cursor.execute(sql, [41])
            answers.append(cursor.fetchone())
    return answers


def test_a_statement_is_prepared_on_its_sixth_run_and_answers_the_same():
    marker = f"m{uuid.uuid4().hex}"
    sql = f"SELECT %s::bigint + 1 AS {marker}"
    assert _run(sql, THRESHOLD) == [(42,)] * THRESHOLD
    assert not _prepared(marker)
    assert _run(sql, 2) == [(42,), (42,)]
    assert _prepared(marker)


def test_switched_off_nothing_is_prepared():
    marker = f"m{uuid.uuid4().hex}"
    with override_settings(DB_PREPARED_STATEMENTS=False):
        assert _run(f"SELECT %s::bigint + 1 AS {marker}", THRESHOLD * 2)[-1] == (42,)
    assert not _prepared(marker)


def test_its_queries_are_counted_and_logged_like_any_other_prepared_or_not():
    marker = f"m{uuid.uuid4().hex}"
    with CaptureQueriesContext(connection) as queries:
        _run(f"SELECT %s::bigint + 1 AS {marker}", THRESHOLD + 2)
    assert _prepared(marker)
    assert len(queries) == THRESHOLD + 2
    # With its value, as Django logs its own: before and after it was prepared.
    assert {q["sql"] for q in queries} == {f"SELECT 41::bigint + 1 AS {marker}"}


def test_timestamps_read_through_it_are_the_orms(student_a):
    sql = "SELECT created_at FROM schools_student WHERE id = %s"
    for _ in range(THRESHOLD + 1):
        with prepared_cursor() as cursor:
            cursor.execute(sql, [student_a.pk])
            (read,) = cursor.fetchone()
    stored = Student.objects.get(pk=student_a.pk).created_at
    assert read == stored and read.utcoffset() == dt.timedelta(0)


def test_the_observation_post_prepares_its_insert_and_stays_within_three_queries(
    alice, student_a, django_assert_max_num_queries
):
    client = token_client(alice)
    body = {"student": student_a.code, "observed_on": "2026-03-02", "signs": ["ISOLATION"]}
    for _ in range(THRESHOLD + 1):
        assert client.post("/api/observations/", body, format="json").status_code == 201
    assert _prepared("INSERT INTO schools_observation")
    with django_assert_max_num_queries(3):
        answer = client.post("/api/observations/", body, format="json")
    assert answer.status_code == 201
    assert Observation.objects.filter(student=student_a).count() == THRESHOLD + 2
