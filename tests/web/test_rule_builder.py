"""The rule builder: a school admin creates a rule from the pages with signs from the
documented list, previews it before saving, and reads a description generated from its
settings (an edit changes the description with it)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from alerts.models import RuleKind, WarningRule
from alerts.rule_text import rule_describe
from core.models import AuditEvent
from tests.factories import ObservationFactory, StudentFactory

NEW = {
    "school": "north",
    "name": "Tired and alone",
    "kind": "sign_pattern",
    "signs": ["FATIGUE", "ISOLATION"],
    "count_unit": "days",
    "window_days": "5",
    "min_events_per_window": "1",
    "min_distinct_signs": "2",
    "min_distinct_observers": "1",
    "consecutive_windows": "2",
    "severity": "low",
    # Left in the hidden attendance field: ignored for a sign pattern.
    "attendance_threshold": "not a number",
}


@pytest.mark.django_db
def test_an_admin_creates_a_rule_from_the_page(as_user, adam, school_a):
    client = as_user(adam)
    assert client.get(reverse("rule-new")).status_code == 200
    response = client.post(reverse("rule-new"), NEW)
    rule = WarningRule.objects.get(school=school_a, name="Tired and alone")
    assert response.status_code == 302 and response["Location"] == f"/rules/{rule.pk}/"
    assert (rule.kind, rule.signs, rule.count_unit, rule.enabled, rule.version) == (
        RuleKind.SIGN_PATTERN,
        ["FATIGUE", "ISOLATION"],
        "days",
        False,
        1,
    )
    assert rule.attendance_threshold is None
    assert rule.description == (
        "Fires when, in each of 2 school weeks in a row, there are at least 1 day with one of "
        "the signs it counts (Asleep or exhausted, Alone at breaks), with at least 2 different "
        "signs over the 2 weeks."
    )
    assert AuditEvent.objects.filter(action="rule.create", object_id=rule.pk).exists()


@pytest.mark.django_db
def test_an_attendance_rule_keeps_only_its_own_fields(as_user, adam, school_a):
    data = {
        **NEW,
        "name": "Below 85",
        "kind": "attendance_rate",
        "attendance_threshold": "85",
        "min_distinct_observers": "garbage",
    }
    as_user(adam).post(reverse("rule-new"), data)
    rule = WarningRule.objects.get(school=school_a, name="Below 85")
    assert (rule.signs, rule.min_distinct_signs, rule.min_distinct_observers) == ([], 0, 0)
    assert rule.description.startswith(
        "Fires when, in each of 2 school weeks in a row, the student attended fewer than 85%"
    )


@pytest.mark.django_db
def test_a_rule_with_no_sign_is_refused_next_to_the_field(as_user, adam, school_a):
    response = as_user(adam).post(reverse("rule-new"), {**NEW, "signs": []})
    assert response.status_code == 200
    assert "at least one sign" in " ".join(response.context["form"].errors["signs"])
    assert not WarningRule.objects.filter(name="Tired and alone").exists()


@pytest.mark.django_db
def test_the_new_rule_preview_counts_without_saving(as_user, adam, alice, tom, school_a):
    student = StudentFactory(school=school_a, code="S-0300")
    from schools.calendar import last_school_days

    days = last_school_days(school_a, school_a.today(), 10)
    for day in days:
        ObservationFactory(student=student, observed_on=day, signs=["FATIGUE"], recorded_by=alice)
        ObservationFactory(student=student, observed_on=day, signs=["ISOLATION"], recorded_by=tom)
    response = as_user(adam).post(reverse("rule-new-preview"), NEW)
    data = json.loads(response.content)
    assert data["ok"] and data["count"] == 1
    assert data["count_text"] == "Would flag {count} student today."
    assert data["students"][0]["code"] == "S-0300"
    assert data["description"].startswith("Fires when, in each of 2 school weeks")
    assert not WarningRule.objects.filter(name="Tired and alone").exists()


@pytest.mark.django_db
def test_a_teacher_or_another_schools_admin_cannot_build_rules(as_user, alice, bella, school_a):
    assert as_user(alice).get(reverse("rule-new")).status_code == 404
    assert as_user(bella).post(reverse("rule-new"), NEW).status_code == 404
    assert not WarningRule.objects.filter(name="Tired and alone").exists()


@pytest.mark.django_db
def test_editing_a_rule_to_one_member_of_staff_changes_its_description(as_user, adam, school_a):
    rule = WarningRule.objects.get(school=school_a, key="persistent_withdrawal")
    assert "seen by at least 2 members of staff" in rule.plain_description
    client = as_user(adam)
    form = client.get(reverse("rule-edit", args=[rule.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(min_distinct_observers="1", enabled="on", use_register="")
    client.post(reverse("rule-edit", args=[rule.pk]), data)
    rule.refresh_from_db()
    assert (rule.min_distinct_observers, rule.version) == (1, 2)
    assert "members of staff" not in rule.description
    assert rule.description == rule_describe(rule) == rule.plain_description
    page = client.get(reverse("rules")).content.decode()
    assert rule.plain_description in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lang", "flagged", "sentence"),
    [
        ("en", 0, "Would flag {count} students today."),
        ("en", 2, "Would flag {count} students today."),
        ("it", 1, "Oggi segnalerebbe {count} studente."),
        ("it", 2, "Oggi segnalerebbe {count} studenti."),
    ],
)
def test_the_previews_count_reads_in_the_readers_plural(
    as_user, adam, alice, tom, school_a, lang, flagged, sentence
):
    """The live preview's count comes with its sentence, in the reader's language and the
    plural of the number (the page puts the number in at {count})."""
    from schools.calendar import last_school_days
    from tests.languages import speaking

    days = last_school_days(school_a, school_a.today(), 10)
    for n in range(flagged):
        student = StudentFactory(school=school_a, code=f"S-031{n}")
        for day in days:
            ObservationFactory(
                student=student, observed_on=day, signs=["FATIGUE"], recorded_by=alice
            )
            ObservationFactory(
                student=student, observed_on=day, signs=["ISOLATION"], recorded_by=tom
            )
    data = as_user(speaking(adam, lang)).post(reverse("rule-new-preview"), NEW).json()
    assert (data["count"], data["count_text"]) == (flagged, sentence)
