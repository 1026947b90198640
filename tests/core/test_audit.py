"""The audit trail is complete and tamper-evident: every read of case data, observation notes
and rule-preview results writes a row; rows cannot be changed or deleted in the database
itself (PostgreSQL and SQLite); who acted is kept after their account is deleted; a school
admin reads their school's trail on a page, filters it and exports it (the export audited)."""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from alerts.models import WarningRule
from core.audit import audit_reads, audit_record
from core.models import AuditEvent
from tests.factories import ObservationFactory, StudentFactory, rule_edit_form
from tests.tokens import token_client

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _rows(action, **extra):
    return AuditEvent.objects.filter(action=action, **extra)


# --- append-only in the database ------------------------------------------------------------


def test_postgresql_refuses_to_change_or_delete_an_audit_row(adam, school_a):
    event = audit_record(actor=adam, action="case.read", obj=school_a, school_id=school_a.pk)
    for attempt in (
        lambda: AuditEvent.objects.filter(pk=event.pk).update(action="nothing"),
        lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
        lambda: connection.cursor().execute(
            "UPDATE core_auditevent SET actor_label = 'someone else' WHERE id = %s", [event.pk]
        ),
        lambda: connection.cursor().execute("DELETE FROM core_auditevent"),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    event.refresh_from_db()
    assert (event.action, event.actor_label) == ("case.read", "adam@north.test")


def test_sqlite_refuses_it_too(tmp_path):
    """The embedded run's database gets the same triggers from the same migration."""
    db = tmp_path / "audit.sqlite3"
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{db}",
        "CELERY_BROKER_URL": "memory://",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=600,
    )
    with sqlite3.connect(db) as sqlite:
        sqlite.execute(
            "INSERT INTO core_auditevent (at, actor_label, action, object_type, school_id, "
            "student_code, detail) VALUES ('2026-01-01', 'a@b.test', 'case.read', 'x', 1, "
            "'S-0042', '{}')"
        )
        for statement in (
            "UPDATE core_auditevent SET action = 'x'",
            "DELETE FROM core_auditevent",
        ):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                sqlite.execute(statement)
        assert sqlite.execute("SELECT action FROM core_auditevent").fetchall() == [("case.read",)]


def test_who_acted_is_kept_after_the_account_is_deleted(carol, case_a):
    token_client(carol).get(f"/api/cases/{case_a.pk}/")
    carol_id = carol.pk
    carol.delete()
    event = _rows("case.read").get()
    assert (event.actor_id, event.actor_label) == (carol_id, "carol@north.test")


# --- every read is recorded -------------------------------------------------------------


@pytest.fixture
def notes(school_a, student_a, alice):
    other = StudentFactory(school=school_a, code="S-0043")
    return [
        ObservationFactory(student=student_a, recorded_by=alice, note="Ate alone."),
        ObservationFactory(student=other, recorded_by=alice, note="Left early."),
    ]


def test_api_observation_reads_are_recorded(carol, notes, school_a):
    api = token_client(carol)
    assert api.get("/api/observations/").status_code == 200
    listed = _rows("observation.list", actor=carol)
    assert sorted(listed.values_list("student_code", flat=True)) == ["S-0042", "S-0043"]
    assert set(listed.values_list("school_id", flat=True)) == {school_a.pk}
    assert api.get(f"/api/observations/{notes[0].pk}/").status_code == 200
    one = _rows("observation.read", actor=carol).get()
    assert (one.object_id, one.student_code) == (notes[0].pk, "S-0042")


def test_api_and_page_case_lists_are_recorded(carol, case_a, as_user):
    token_client(carol).get("/api/cases/")
    assert list(_rows("case.list").values_list("object_id", "student_code")) == [
        (case_a.pk, "S-0042")
    ]
    as_user(carol).get("/cases/")
    assert _rows("case.list").count() == 2


def test_admin_change_pages_are_recorded(notes, case_a, django_user_model):
    root = django_user_model.objects.create_superuser(email="ops@service.test", password="x")
    client = Client()
    client.force_login(root)
    assert client.get(f"/admin/schools/observation/{notes[0].pk}/change/").status_code == 200
    assert client.get(f"/admin/alerts/case/{case_a.pk}/change/").status_code == 200
    assert _rows("observation.admin_read", object_id=notes[0].pk, student_code="S-0042").exists()
    assert _rows("case.admin_read", object_id=case_a.pk, student_code="S-0042").exists()


def test_rule_preview_results_are_recorded(adam, school_a, as_user):
    rule = WarningRule.objects.get(school=school_a, key="persistent_withdrawal")
    token_client(adam).post(f"/api/rules/{rule.pk}/preview/", {}, format="json")
    api_rows = _rows("rule.preview", object_id=rule.pk)
    assert api_rows.count() == 1 and api_rows.get().actor == adam  # no student flagged: one row
    page = as_user(adam).post(
        f"/rules/{rule.pk}/preview/",
        rule_edit_form(rule),
    )
    assert page.status_code == 200, page.content
    assert _rows("rule.preview", object_id=rule.pk).count() == 2


def _entry(event):
    return {f.attname: getattr(event, f.attname) for f in AuditEvent._meta.concrete_fields} | {
        "id": None,
        "at": None,
    }


@pytest.mark.parametrize("who", ["carol", None])
def test_a_read_of_many_writes_the_entries_one_at_a_time_would(who, carol, case_a, case_b):
    """audit_reads writes the rows of a read in one hand-written INSERT on PostgreSQL: the
    same columns audit_record (the ORM's insert) writes for each object, detail included."""
    actor = carol if who else None
    detail = {"page": 2, "filter": "new"}
    cases = [case_a, case_b]
    with CaptureQueriesContext(connection) as queries:
        assert (
            audit_reads(
                actor=actor,
                action="case.list",
                objects=cases,
                school_of=lambda c: c.student.school_id,
                detail=detail,
            )
            == 2
        )
    assert len(queries) == 1
    bulk = list(_rows("case.list").order_by("object_id"))
    for case in cases:
        audit_record(
            actor=actor,
            action="case.one",
            obj=case,
            school_id=case.student.school_id,
            detail=detail,
        )
    single = list(_rows("case.one").order_by("object_id"))
    assert [_entry(e) | {"action": "case.list"} for e in single] == [_entry(e) for e in bulk]
    assert bulk[0].student_code == "S-0042" and bulk[0].detail == detail
    assert bulk[0].at == bulk[1].at and bulk[0].at is not None


def test_a_read_of_nothing_writes_nothing(carol):
    assert audit_reads(actor=carol, action="case.list", objects=[], school_of=lambda c: 0) == 0
    assert not _rows("case.list").exists()


# --- the school admin's audit page ------------------------------------------------------------


@pytest.fixture
def trail(carol, cora, adam, case_a, case_b, school_a):
    token_client(carol).get(f"/api/cases/{case_a.pk}/")
    token_client(cora).get(f"/api/cases/{case_b.pk}/")
    audit_record(actor=adam, action="membership.add", obj=school_a, school_id=school_a.pk)
    return case_a


def test_the_audit_page_shows_the_schools_rows_only_and_filters(adam, trail, as_user):
    client = as_user(adam)

    def shown(**filters):
        page = client.get("/school/audit/", filters).context["page"]
        return sorted((e.actor_label, e.action) for e in page)

    everything = shown()
    assert ("carol@north.test", "case.read") in everything
    assert ("adam@north.test", "membership.add") in everything
    assert not [row for row in everything if row[0] == "cora@south.test"]
    assert shown(person="carol") == [("carol@north.test", "case.read")]
    assert shown(action="membership.add") == [("adam@north.test", "membership.add")]
    assert shown(student="s-0042") == [("carol@north.test", "case.read")]
    today = trail.student.school.today()
    assert ("carol@north.test", "case.read") in shown(date_from=today.isoformat())
    assert shown(date_to="2020-01-01") == []


def test_the_csv_export_is_audited(adam, trail, as_user):
    response = as_user(adam).get("/school/audit/", {"person": "carol", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["at", "person", "action", "object", "object_id", "student_code", "detail"]
    assert [[*r[1:3], r[5]] for r in rows[1:]] == [["carol@north.test", "case.read", "S-0042"]]
    export = _rows("audit.export", actor=adam).get()
    assert export.detail == {"person": "carol"}


def test_the_audit_page_is_for_school_admins_only(alice, carol, as_user, trail):
    assert as_user(alice).get("/school/audit/").status_code == 404
    assert as_user(carol).get("/school/audit/").status_code == 404
