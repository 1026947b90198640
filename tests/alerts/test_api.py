"""The cases and rules API: who sees what (404 for teachers and for other schools), status
changes, notes and actions, rule edits that raise the version, and the preview endpoint."""

from __future__ import annotations

import pytest

from alerts.models import Case, CaseStatus, WarningRule
from alerts.services import evaluation_run
from core.models import AuditEvent
from tests.clock import fixed_dates
from tests.factories import CaseFactory, StudentFactory

from .conftest import ON, rule, weeks, withdrawal_week

pytestmark = [pytest.mark.django_db, fixed_dates]


@pytest.fixture
def case(north, student, alice, tom):
    for week in weeks(north, count=3):
        withdrawal_week(student, week, alice, tom)
    evaluation_run(school=north, on_date=ON)
    return Case.objects.get(student=student)


@pytest.fixture
def case_b(school_b):
    student = StudentFactory(school=school_b, code="S-0101")
    return CaseFactory(student=student, evidence_on=ON)


def test_counsellor_lists_and_reads_a_case_with_its_evidence(api, case, carol):
    client = api.as_(carol)
    listed = client.get("/api/cases/").json()["results"]
    assert [c["student"] for c in listed] == ["S-0101"]
    detail = client.get(f"/api/cases/{case.pk}/").json()
    assert detail["rules"] == ["Persistent withdrawal"]
    assert len(detail["evidence_observations"]) == 6
    windows = next(iter(detail["evidence"].values()))["windows"]
    assert len(windows) == 3
    assert [e["kind"] for e in detail["events"]] == ["opened"]
    assert AuditEvent.objects.filter(action="case.read", object_id=case.pk, actor=carol).exists()


def test_filters_by_status_stage_and_severity(api, case, carol):
    client = api.as_(carol)
    assert client.get("/api/cases/", {"status": "new"}).json()["count"] == 1
    assert client.get("/api/cases/", {"status": "resolved"}).json()["count"] == 0
    assert client.get("/api/cases/", {"stage": "watch"}).json()["count"] == 1
    assert client.get("/api/cases/", {"severity": "critical"}).json()["count"] == 0
    assert client.get("/api/cases/", {"severity": ["medium", "high"]}).json()["count"] == 1


def test_a_teacher_gets_404_on_a_case_and_cannot_act_on_it(api, case, alice):
    client = api.as_(alice)
    assert client.get(f"/api/cases/{case.pk}/").status_code == 404
    assert client.post(f"/api/cases/{case.pk}/notes/", {"text": "hello"}).status_code == 404
    assert client.post(f"/api/cases/{case.pk}/acknowledge/").status_code == 404
    assert client.get("/api/cases/").status_code == 404
    assert Case.objects.get().status == CaseStatus.NEW


def test_another_schools_case_is_404(api, case, case_b, carol, cora):
    assert api.as_(carol).get(f"/api/cases/{case_b.pk}/").status_code == 404
    assert api.as_(cora).get(f"/api/cases/{case.pk}/").status_code == 404
    assert api.as_(cora).post(f"/api/cases/{case.pk}/acknowledge/").status_code == 404
    assert [c["id"] for c in api.as_(cora).get("/api/cases/").json()["results"]] == [case_b.pk]


def test_status_changes_notes_and_actions(api, case, carol):
    client = api.as_(carol)
    response = client.post(f"/api/cases/{case.pk}/acknowledge/")
    assert response.status_code == 200 and response.json()["status"] == "acknowledged"
    response = client.post(f"/api/cases/{case.pk}/status/", {"status": "in_progress"})
    assert response.json()["status"] == "in_progress"
    response = client.post(f"/api/cases/{case.pk}/status/", {"status": "new"})
    assert response.status_code == 400
    assert "cannot go from" in response.json()["detail"]
    response = client.post(f"/api/cases/{case.pk}/notes/", {"text": "Quiet but talked a bit"})
    assert response.status_code == 201 and response.json()["author"] == str(carol)
    response = client.post(f"/api/cases/{case.pk}/notes/", {"text": "Ring 07700 900123"})
    assert response.status_code == 400
    response = client.post(
        f"/api/cases/{case.pk}/actions/", {"action_type": "reintegration_plan", "text": ""}
    )
    assert response.status_code == 201
    response = client.post(f"/api/cases/{case.pk}/resolve/", {"reason": "Back in routine"})
    assert response.status_code == 400 and "outcome" in response.json()
    response = client.post(
        f"/api/cases/{case.pk}/resolve/",
        {"reason": "Back in routine", "outcome": "concern_confirmed"},
    )
    assert response.json()["status"] == "resolved"
    kinds = [e["kind"] for e in client.get(f"/api/cases/{case.pk}/").json()["events"]]
    assert kinds == ["opened", "status_change", "status_change", "note", "action", "status_change"]


def test_rules_are_for_school_admins(api, north, adam, carol, alice):
    assert api.as_(carol).get("/api/rules/").status_code == 403
    assert api.as_(alice).get("/api/rules/").status_code == 403
    names = {r["name"] for r in api.as_(adam).get("/api/rules/").json()["results"]}
    assert names == {"Persistent withdrawal", "Avoiding school", "Irregular sleep"}


def test_another_schools_rule_is_404(api, north, school_b, adam, bella):
    foreign = rule(school_b, "irregular_sleep")
    assert api.as_(adam).get(f"/api/rules/{foreign.pk}/").status_code == 404
    response = api.as_(adam).patch(f"/api/rules/{foreign.pk}/", {"min_events_per_window": 1})
    assert response.status_code == 404
    assert WarningRule.objects.get(pk=foreign.pk).min_events_per_window == 3


def test_an_edit_raises_the_version_and_no_change_does_not(api, north, adam):
    sleep = rule(north, "irregular_sleep")
    client = api.as_(adam)
    response = client.patch(f"/api/rules/{sleep.pk}/", {"min_events_per_window": 4})
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2
    response = client.patch(f"/api/rules/{sleep.pk}/", {"min_events_per_window": 4})
    assert response.json()["version"] == 2
    assert client.post(f"/api/rules/{sleep.pk}/disable/").json()["enabled"] is False
    assert WarningRule.objects.get(pk=sleep.pk).version == 3
    assert client.post(f"/api/rules/{sleep.pk}/enable/").json()["version"] == 4
    assert AuditEvent.objects.filter(action="rule.update", object_id=sleep.pk).count() == 3


def test_a_rule_is_validated(api, north, adam):
    client = api.as_(adam)
    response = client.post("/api/rules/", {"name": "Bad", "kind": "sign_pattern", "signs": []})
    assert response.status_code == 400 and "signs" in response.json()
    response = client.post("/api/rules/", {"name": "Bad", "kind": "attendance_rate"}, format="json")
    assert response.status_code == 400 and "attendance_threshold" in response.json()
    response = client.post(
        "/api/rules/",
        {"name": "Alone", "kind": "sign_pattern", "signs": ["ISOLATION"], "consecutive_windows": 2},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["version"] == 1 and response.json()["school"] == "north"
    response = client.post(
        "/api/rules/", {"name": "Alone", "kind": "sign_pattern", "signs": ["LATE"]}, format="json"
    )
    assert response.status_code == 400, "a rule name is unique within its school"


def test_preview_of_an_edited_rule_without_saving_it(api, north, student, adam, alice):
    # One teacher only: the default rule does not fire, with one observer required it does.
    for week in weeks(north, count=3):
        withdrawal_week(student, week, alice, alice)
    withdrawal = rule(north, "persistent_withdrawal")
    url = f"/api/rules/{withdrawal.pk}/preview/"
    client = api.as_(adam)
    as_is = client.post(url, {"on_date": ON.isoformat()}, format="json").json()
    assert as_is["flagged_on_date"] == 0
    edited = client.post(
        url,
        {"on_date": ON.isoformat(), "changes": {"min_distinct_observers": 1}},
        format="json",
    ).json()
    assert edited["flagged_on_date"] == 1
    assert edited["students"][0]["student"] == "S-0101"
    assert WarningRule.objects.get(pk=withdrawal.pk).min_distinct_observers == 2
    assert WarningRule.objects.get(pk=withdrawal.pk).version == 1


def test_a_status_change_that_lost_a_race_answers_409(api, case, carol, monkeypatch):
    from alerts import services

    real = services.case_set_status

    def someone_else_first(*, case, to_status, by, text=""):
        # Another counsellor moves the case between this request's read and its write.
        Case.objects.filter(pk=case.pk).update(status=CaseStatus.MONITORING)
        return real(case=case, to_status=to_status, by=by, text=text)

    monkeypatch.setattr(services, "case_set_status", someone_else_first)
    response = api.as_(carol).post(f"/api/cases/{case.pk}/status/", {"status": "in_progress"})
    assert response.status_code == 409
    assert Case.objects.get(pk=case.pk).status == CaseStatus.MONITORING
