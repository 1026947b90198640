"""Every page is scoped to the user's school(s) and role, with the same mechanism as the API
(schools.tenancy): a teacher gets 404 on counsellor and admin pages whatever URL is typed, and
nobody reaches another school's case, rule, member or student."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alerts.models import WarningRule
from schools.models import Membership
from tests.factories import ObservationFactory, StudentFactory


def _casework_urls(case, rule, membership, student):
    return {
        "get": [
            reverse("cases"),
            reverse("case-detail", args=[case.pk]),
            reverse("overview"),
            reverse("rules"),
            reverse("rule-edit", args=[rule.pk]),
            reverse("staff"),
            reverse("students"),
            reverse("cases-export"),
            reverse("overview-export"),
            reverse("concern-new"),
            reverse("case-pdf", args=[case.pk]),
            reverse("rule-new"),
        ],
        "post": [
            reverse("case-acknowledge", args=[case.pk]),
            reverse("case-note", args=[case.pk]),
            reverse("case-action", args=[case.pk]),
            reverse("case-status", args=[case.pk]),
            reverse("case-resolve", args=[case.pk]),
            reverse("rule-toggle", args=[rule.pk]),
            reverse("rule-preview", args=[rule.pk]),
            reverse("staff-role", args=[membership.pk]),
            reverse("staff-remove", args=[membership.pk]),
            reverse("student-deactivate", args=[student.pk]),
            reverse("student-reactivate", args=[student.pk]),
            reverse("student-year", args=[student.pk]),
            reverse("students-move-up"),
            reverse("case-owner", args=[case.pk]),
            reverse("case-review", args=[case.pk]),
            reverse("case-reopen", args=[case.pk]),
            reverse("concern-new"),
            reverse("rule-new"),
            reverse("rule-new-preview"),
        ],
    }


@pytest.mark.django_db
def test_a_teacher_gets_404_on_every_counsellor_and_admin_page(as_user, alice, carol, case_a):
    rule = WarningRule.objects.filter(school=case_a.student.school).first()
    membership = Membership.objects.get(user=carol)
    urls = _casework_urls(case_a, rule, membership, case_a.student)
    client = as_user(alice)
    for url in urls["get"]:
        assert client.get(url).status_code == 404, url
    version = rule.version
    for url in urls["post"]:
        assert client.post(url, {"note-text": "x", "role": "teacher"}).status_code == 404, url
    rule.refresh_from_db()
    case_a.refresh_from_db()
    assert rule.version == version and case_a.status == "new"
    assert Membership.objects.filter(pk=membership.pk, role="counsellor").exists()
    assert case_a.student.is_active


@pytest.mark.django_db
def test_a_counsellor_cannot_open_admin_pages(as_user, carol, case_a):
    client = as_user(carol)
    assert client.get(reverse("cases")).status_code == 200
    assert client.get(reverse("case-detail", args=[case_a.pk])).status_code == 200
    for name in ("rules", "staff", "students"):
        assert client.get(reverse(name)).status_code == 404, name


@pytest.mark.django_db
def test_another_schools_case_rule_member_and_student_are_404(
    as_user, cora, bella, adam, case_a, case_b
):
    rule_a = WarningRule.objects.filter(school=case_a.student.school).first()
    membership_a = Membership.objects.get(user=adam)
    counsellor_b = as_user(cora)
    assert counsellor_b.get(reverse("case-detail", args=[case_a.pk])).status_code == 404
    assert counsellor_b.post(reverse("case-acknowledge", args=[case_a.pk])).status_code == 404
    listing = counsellor_b.get(reverse("cases")).content.decode()
    assert reverse("case-detail", args=[case_b.pk]) in listing
    assert reverse("case-detail", args=[case_a.pk]) not in listing

    admin_b = as_user(bella)
    assert admin_b.get(reverse("rule-edit", args=[rule_a.pk])).status_code == 404
    assert admin_b.post(reverse("rule-toggle", args=[rule_a.pk])).status_code == 404
    assert admin_b.post(reverse("staff-remove", args=[membership_a.pk])).status_code == 404
    assert admin_b.post(reverse("student-deactivate", args=[case_a.student.pk])).status_code == 404
    for name in ("student-reactivate", "student-year"):
        assert admin_b.post(reverse(name, args=[case_a.student.pk])).status_code == 404, name
    assert counsellor_b.get(reverse("case-pdf", args=[case_a.pk])).status_code == 404
    assert counsellor_b.post(reverse("case-reopen", args=[case_a.pk])).status_code == 404
    assert Membership.objects.filter(pk=membership_a.pk).exists()
    case_a.student.refresh_from_db()
    assert case_a.student.is_active
    rules_page = admin_b.get(reverse("rules")).content.decode()
    assert reverse("rule-edit", args=[rule_a.pk]) not in rules_page
    staff_page = admin_b.get(reverse("staff")).content.decode()
    assert "adam@north.test" not in staff_page and "bella@south.test" in staff_page


@pytest.mark.django_db
def test_type_ahead_offers_only_the_users_school(as_user, alice, school_a, school_b):
    StudentFactory(school=school_a, code="S-1001")
    StudentFactory(school=school_b, code="S-1002")
    StudentFactory(school=school_a, code="S-1003", is_active=False)
    rows = as_user(alice).get(reverse("student-search"), {"q": "s-10"}).json()["results"]
    assert [r["code"] for r in rows] == ["S-1001"]


@pytest.mark.django_db
def test_my_observations_lists_only_mine(as_user, alice, tom, student_a):
    mine = ObservationFactory(student=student_a, recorded_by=alice, note="mine")
    theirs = ObservationFactory(student=student_a, recorded_by=tom, note="theirs")
    page = as_user(alice).get(reverse("my-observations")).content.decode()
    assert "mine" in page and "theirs" not in page
    # Tom's entry cannot be withdrawn or corrected by alice, whatever id she posts.
    client = as_user(alice)
    assert client.post(reverse("observation-withdraw", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("observation-correct", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.withdrawn_at is None
    assert mine.pk != theirs.pk


@pytest.mark.django_db
def test_a_teacher_never_sees_cases_or_notices_of_cases(as_user, alice, case_a):
    page = as_user(alice).get(reverse("observe")).content.decode()
    assert reverse("cases") not in page
    assert case_a.student.code not in as_user(alice).get(reverse("notices")).content.decode()


@pytest.mark.django_db
def test_pages_need_a_login(client, case_a):
    for url in (reverse("observe"), reverse("cases"), reverse("case-detail", args=[case_a.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_a_person_with_roles_at_two_schools_gets_each_role_at_its_school(
    as_user, alice, school_b, case_a, case_b
):
    from tests.factories import MembershipFactory

    MembershipFactory(user=alice, school=school_b, role="counsellor")
    client = as_user(alice)
    # Counsellor at South: South's case. Teacher at North: never North's case.
    assert client.get(reverse("case-detail", args=[case_b.pk])).status_code == 200
    assert client.get(reverse("case-detail", args=[case_a.pk])).status_code == 404
    listing = client.get(reverse("cases")).content.decode()
    assert reverse("case-detail", args=[case_a.pk]) not in listing
    # The observation form works at either school, chosen by ?school=.
    south = client.get(reverse("observe"), {"school": "south"})
    assert south.context["school"] == school_b
    assert client.get(reverse("observe"), {"school": "nowhere"}).status_code == 404
    StudentFactory(school=school_b, code="S-4242")
    rows = client.get(reverse("student-search"), {"q": "4242", "school": "north"}).json()
    assert rows["results"] == []
