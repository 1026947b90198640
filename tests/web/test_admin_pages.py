"""The school admin's pages: staff and roles, students, rules (edit, enable, preview)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alerts.models import WarningRule
from core.models import User
from schools.models import Membership, Student
from tests.factories import StudentFactory

# Inviting colleagues: tests/web/test_invitations.py.


@pytest.mark.django_db
def test_changing_a_role_and_removing_a_member(as_user, adam, alice, school_a):
    client = as_user(adam)
    membership = Membership.objects.get(user=alice)
    client.post(reverse("staff-role", args=[membership.pk]), {"role": "counsellor"})
    membership.refresh_from_db()
    assert membership.role == "counsellor"
    client.post(reverse("staff-remove", args=[membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert User.objects.filter(pk=alice.pk).exists()  # the account stays for the audit trail


@pytest.mark.django_db
def test_the_last_admin_cannot_be_demoted_or_removed(as_user, adam):
    client = as_user(adam)
    membership = Membership.objects.get(user=adam)
    client.post(reverse("staff-role", args=[membership.pk]), {"role": "teacher"})
    client.post(reverse("staff-remove", args=[membership.pk]))
    membership.refresh_from_db()
    assert membership.role == "school_admin"


@pytest.mark.django_db
def test_students_add_one_bulk_add_and_deactivate(as_user, adam, school_a):
    client = as_user(adam)
    client.post(reverse("students"), {"one-code": "s-2001", "one-year_group": 8})
    assert Student.objects.get(school=school_a, code="S-2001").year_group == 8
    client.post(
        reverse("students"), {"bulk-codes": "S-2002\nS-2003\n\nS-2004", "bulk-year_group": 7}
    )
    assert set(
        Student.objects.filter(school=school_a, year_group=7).values_list("code", flat=True)
    ) == {"S-2002", "S-2003", "S-2004"}
    student = Student.objects.get(code="S-2003")
    client.post(reverse("student-deactivate", args=[student.pk]))
    student.refresh_from_db()
    assert not student.is_active


@pytest.mark.django_db
def test_a_bulk_add_with_one_bad_code_adds_nothing_and_names_it(as_user, adam, school_a):
    StudentFactory(school=school_a, code="S-3001")
    response = as_user(adam).post(
        reverse("students"), {"bulk-codes": "S-3002\nJohn Smith\nS-3001\nS-3002"}
    )
    html = response.content.decode()
    assert "JOHN SMITH: not a valid code" in html
    assert "S-3001: already a student here" in html
    assert "S-3002: listed twice" in html
    assert not Student.objects.filter(code="S-3002").exists()


@pytest.mark.django_db
def test_toggling_and_editing_a_rule_raise_its_version(as_user, adam, school_a):
    rule = WarningRule.objects.get(school=school_a, key="persistent_withdrawal")
    client = as_user(adam)
    client.post(reverse("rule-toggle", args=[rule.pk]))
    rule.refresh_from_db()
    assert (rule.enabled, rule.version) == (False, 2)
    page = client.get(reverse("rule-edit", args=[rule.pk]))
    form = page.context["form"]
    data = {k: v for k, v in form.initial.items() if k in form.fields and v is not None}
    data["signs"] = rule.signs
    data["min_events_per_window"] = 1
    data["enabled"] = "on"
    response = client.post(reverse("rule-edit", args=[rule.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    rule.refresh_from_db()
    assert (rule.min_events_per_window, rule.enabled, rule.version) == (1, True, 3)


@pytest.mark.django_db
def test_the_preview_endpoint_answers_for_the_unsaved_values(as_user, adam, school_a):
    rule = WarningRule.objects.get(school=school_a, key="persistent_withdrawal")
    client = as_user(adam)
    data = {
        "name": rule.name,
        "description": rule.description,
        "enabled": "on",
        "kind": rule.kind,
        "signs": rule.signs,
        "count_unit": rule.count_unit,
        "window_days": 5,
        "min_events_per_window": 2,
        "min_distinct_signs": 2,
        "min_distinct_observers": 2,
        "consecutive_windows": 3,
        "severity": rule.severity,
    }
    answer = client.post(reverse("rule-preview", args=[rule.pk]), data).json()
    assert answer["ok"] and answer["count"] == 0 and answer["on"] == school_a.today().isoformat()
    data["window_days"] = 0
    bad = client.post(reverse("rule-preview", args=[rule.pk]), data)
    assert bad.status_code == 400 and "window_days" in bad.json()["errors"]
    rule.refresh_from_db()
    assert rule.version == 1  # a preview never saves


@pytest.mark.django_db
def test_an_invalid_rule_edit_saves_nothing_and_says_why(as_user, adam, school_a):
    rule = WarningRule.objects.get(school=school_a, key="irregular_sleep")
    page = as_user(adam).get(reverse("rule-edit", args=[rule.pk]))
    form = page.context["form"]
    data = {k: v for k, v in form.initial.items() if k in form.fields and v is not None}
    data.update(signs=rule.signs, enabled="on", consecutive_windows=0)
    response = as_user(adam).post(reverse("rule-edit", args=[rule.pk]), data)
    assert response.status_code == 200
    assert "consecutive_windows" in response.context["form"].errors
    rule.refresh_from_db()
    assert (rule.version, rule.consecutive_windows) == (1, 2)


@pytest.mark.django_db
def test_an_admin_brings_a_student_back_changes_a_year_and_moves_everyone_up(
    as_user, adam, school_a, school_b
):
    from schools.models import Student
    from tests.factories import StudentFactory

    left = StudentFactory(school=school_a, code="S-0901", year_group=9, is_active=False)
    nine = StudentFactory(school=school_a, code="S-0902", year_group=9)
    StudentFactory(school=school_a, code="S-0903", year_group=14)
    unknown = StudentFactory(school=school_a, code="S-0904", year_group=None)
    elsewhere = StudentFactory(school=school_b, code="S-0902", year_group=9)
    client = as_user(adam)
    client.post(reverse("student-reactivate", args=[left.pk]))
    left.refresh_from_db()
    assert left.is_active
    client.post(reverse("student-year", args=[nine.pk]), {"year_group": "10"})
    nine.refresh_from_db()
    assert nine.year_group == 10
    refused = client.post(
        reverse("student-year", args=[nine.pk]), {"year_group": "15"}, follow=True
    )
    assert "Choose a year group from 1 to 14." in refused.content.decode()
    response = client.post(reverse("students-move-up"), follow=True)
    assert "2 students moved up a year group." in response.content.decode()
    years = dict(Student.objects.filter(school=school_a).values_list("code", "year_group"))
    assert years == {"S-0901": 10, "S-0902": 11, "S-0903": 14, "S-0904": None}
    elsewhere.refresh_from_db()
    assert elsewhere.year_group == 9
    assert unknown.pk
