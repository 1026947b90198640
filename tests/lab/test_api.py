"""The rule lab through the API: previews that refuse what they cannot answer truthfully,
backtests kept per rule version and compared, outcomes recorded and imported, scoped."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from alerts.models import BacktestRun, Case, Outcome, WarningRule
from benchmarks.synthetic import generate_school
from core.models import AuditEvent
from schools.importers.pseudonym import Pseudonymiser
from schools.models import Student, Term
from tests.factories import CaseFactory, SchoolFactory, StudentFactory

from .conftest import END, START, absence_rule

pytestmark = pytest.mark.django_db


def preview(client, rule, **body):
    return client.post(f"/api/rules/{rule.pk}/preview/", body, format="json")


def test_a_misspelt_field_in_changes_is_refused_not_ignored(api, school_a, adam):
    rule = absence_rule(school_a, weeks=2)
    response = preview(api.as_(adam), rule, changes={"treshold": 80})
    assert response.status_code == 400
    assert "treshold" in str(response.json()["changes"])


def test_the_answer_echoes_the_rule_as_previewed(api, school_a, adam):
    rule = absence_rule(school_a, weeks=2)
    body = preview(api.as_(adam), rule, changes={"consecutive_windows": 4}).json()
    assert body["rule"]["consecutive_windows"] == 4
    assert body["rule"]["id"] == rule.pk
    assert WarningRule.objects.get(pk=rule.pk).consecutive_windows == 2


def test_a_preview_date_in_the_future_is_refused(api, school_a, adam):
    rule = absence_rule(school_a, weeks=2)
    tomorrow = school_a.today() + dt.timedelta(days=1)
    response = preview(api.as_(adam), rule, on_date=tomorrow.isoformat())
    assert response.status_code == 400
    assert "future" in str(response.json()["on_date"])


def test_a_long_history_reads_back_past_550_days_and_says_what_it_read(api, adam):
    school = adam.memberships.get().school
    # Three school years on the calendar: 400 school days reach back further than 550 days.
    Term.objects.create(school=school, name="Earlier", starts_on="2023-09-01", ends_on="2025-07-31")
    rule = absence_rule(school, weeks=2)
    on = dt.date(2026, 3, 27)
    body = preview(api.as_(adam), rule, on_date=on.isoformat(), history_school_days=400).json()
    assert body["school_days"] == 400
    assert body["days_read"]["complete"] is True
    assert dt.date.fromisoformat(body["first_day"]) < on - dt.timedelta(days=550)
    # A calendar shorter than asked for: the answer says so.
    short = preview(api.as_(adam), rule, on_date="2023-10-20", history_school_days=100).json()
    assert short["days_read"]["complete"] is False
    assert short["days_read"]["first_day"] == "2023-09-01"
    assert "fewer than the 100" in short["days_read"]["note"]


def test_a_threshold_of_zero_has_a_plain_message(api, school_a, adam):
    response = api.as_(adam).post(
        "/api/rules/",
        {
            "name": "Attendance below nothing",
            "kind": "attendance_rate",
            "attendance_threshold": "0",
            "consecutive_windows": 2,
        },
        format="json",
    )
    assert response.status_code == 400
    text = str(response.json())
    assert "Constraint" not in text and "violated" not in text
    assert "threshold above 0" in text


def test_every_constraint_has_a_plain_message():
    from django.apps import apps

    for model in apps.get_models():
        if model._meta.app_label not in ("alerts", "schools"):
            continue
        for constraint in model._meta.constraints:
            message = constraint.get_violation_error_message()
            assert "Constraint" not in message, (model.__name__, constraint.name)


@pytest.fixture
def year(school_a):
    generate_school(school=school_a, students=60, start=START, end=END, seed=3)
    return school_a


def backtest(client, rule, **body):
    body = {"start": START.isoformat(), "end": END.isoformat(), **body}
    return client.post(f"/api/rules/{rule.pk}/backtest/", body, format="json")


def test_a_backtest_is_answered_then_kept_per_rule_version(api, year, adam):
    rule = absence_rule(year, weeks=3, days=2)
    client = api.as_(adam)
    first = backtest(client, rule)
    assert first.status_code == 200, first.content
    (run,) = first.json()["runs"]
    assert run["status"] == "done" and run["rule_version"] == rule.version
    result = run["result"]
    assert result["counts"]["true_positive"] > 0
    assert {"precision", "recall", "median_lead_weeks", "students"} <= set(result)
    again = backtest(client, rule).json()["runs"][0]
    assert again["id"] == run["id"]
    # Unsaved changes are measured apart, and leave the rule as it is.
    edited = backtest(client, rule, changes={"consecutive_windows": 6}).json()["runs"][0]
    assert edited["id"] != run["id"] and edited["rule_version"] is None
    assert edited["result"]["rule"]["consecutive_windows"] == 6
    assert edited["result"]["flagged"] <= result["flagged"]
    assert BacktestRun.objects.count() == 2
    assert client.get(f"/api/backtests/{run['id']}/").json()["id"] == run["id"]
    # Every request, kept or not, is in the audit trail: who looked, at which rule and period.
    audited = AuditEvent.objects.filter(action="rule.backtest", actor=adam, object_id=rule.pk)
    assert audited.count() == 3
    assert audited.first().detail["start"] == START.isoformat()


def test_two_rules_side_by_side_and_a_sweep(api, year, adam):
    two = absence_rule(year, weeks=2, days=2)
    six = absence_rule(year, weeks=6, days=2)
    body = backtest(
        api.as_(adam), two, compare_with=six.pk, sweep="consecutive_windows", values=[2, 4, 6]
    ).json()
    a, b = body["runs"]
    assert a["result"]["rule"]["consecutive_windows"] == 2
    assert b["result"]["rule"]["consecutive_windows"] == 6
    points = a["result"]["sweep"]["points"]
    assert [p["value"] for p in points] == ["2", "4", "6"]
    # The sweep's point at 6 weeks is the other rule measured the same way.
    assert points[2]["true_positives"] == b["result"]["counts"]["true_positive"]
    assert points[2]["precision"] == b["result"]["precision"]


def test_backtests_are_for_the_schools_own_admins(api, year, school_b, adam, bella, carol):
    rule = absence_rule(year, weeks=3)
    assert backtest(api.as_(bella), rule).status_code == 404
    assert backtest(api.as_(carol), rule).status_code in (403, 404)
    run = backtest(api.as_(adam), rule).json()["runs"][0]
    assert api.as_(bella).get(f"/api/backtests/{run['id']}/").status_code == 404
    other = absence_rule(school_b, weeks=3)
    assert backtest(api.as_(adam), rule, compare_with=other.pk).status_code == 404


def test_a_period_in_the_future_is_refused(api, school_a, adam):
    rule = absence_rule(school_a, weeks=3)
    later = school_a.today() + dt.timedelta(days=30)
    response = backtest(api.as_(adam), rule, end=later.isoformat())
    assert response.status_code == 400


def test_resolving_records_the_outcome_for_the_student(api, school_a, carol):
    student = StudentFactory(school=school_a, code="S-0777")
    case = CaseFactory(student=student, evidence_on=dt.date(2026, 3, 2))
    client = api.as_(carol)
    refused = client.post(
        f"/api/cases/{case.pk}/resolve/", {"reason": "Settled", "outcome": "cured"}
    )
    assert refused.status_code == 400
    assert Case.objects.get(pk=case.pk).status == "new" and not Outcome.objects.exists()
    done = client.post(
        f"/api/cases/{case.pk}/resolve/",
        {"reason": "Referred and supported", "outcome": "mental_health_referral"},
    )
    assert done.status_code == 200
    (outcome,) = Outcome.objects.all()
    assert (outcome.student, outcome.kind, outcome.case_id) == (
        student,
        "mental_health_referral",
        case.pk,
    )
    assert outcome.on_date == school_a.today()
    assert AuditEvent.objects.filter(action="outcome.record", actor=carol).exists()
    listed = client.get("/api/outcomes/").json()["results"]
    assert [o["student"] for o in listed] == ["S-0777"]


def csv_upload(text: str):
    return SimpleUploadedFile("outcomes.csv", text.encode(), content_type="text/csv")


def test_outcomes_import_meets_the_attendance_pseudonym_and_is_all_or_nothing(
    api, school_a, adam, bella
):
    code = Pseudonymiser().code(school_a.code, "604822")
    student = Student.objects.create(school=school_a, code=code)
    client = api.as_(adam)
    bad = "student_ref,outcome,date\n604822,left_school,2026-03-02\n999,maybe,2026-03-02\n"
    response = client.post("/api/outcomes/import/", {"file": csv_upload(bad)}, format="multipart")
    assert response.status_code == 400
    problems = response.json()["problems"]
    assert [p["where"] for p in problems] == ["line 3"]
    assert "999" not in str(response.json())
    assert not Outcome.objects.exists()

    good = "student_ref,outcome,date\n604822,left_school,2026-03-02\n"
    response = client.post("/api/outcomes/import/", {"file": csv_upload(good)}, format="multipart")
    assert response.json() | {} == {
        "dry_run": False,
        "read": 1,
        "created": 1,
        "unchanged": 0,
        "by_outcome": {"left_school": 1},
    }
    (outcome,) = Outcome.objects.all()
    assert outcome.student == student and outcome.source == "import"
    again = client.post("/api/outcomes/import/", {"file": csv_upload(good)}, format="multipart")
    assert again.json()["created"] == 0 and again.json()["unchanged"] == 1
    assert Outcome.objects.count() == 1
    assert AuditEvent.objects.filter(action="outcome.import", actor=adam).count() == 2
    # Another school's admin cannot import for this school, nor see its outcomes.
    other = client = api.as_(bella)
    unknown = other.post("/api/outcomes/import/", {"file": csv_upload(good)}, format="multipart")
    assert unknown.status_code == 400  # the reference is no student of her school
    assert other.get("/api/outcomes/").json()["results"] == []
    assert SchoolFactory  # factories imported for the named schools
