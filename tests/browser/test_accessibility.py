"""axe-core on every page of every role, at desktop and phone width: no serious or critical
violation. The pages are filled with the data they show in use (a case with evidence and a
timeline, a rule, a student with marks), so axe reads what people read."""

from __future__ import annotations

import pytest

from alerts.models import WarningRule
from alerts.services import case_add_note
from tests.factories import FlaggedCaseFactory, ObservationFactory, StudentFactory

from .helpers import axe_violations, three_school_weeks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _pages(school, teacher, counsellor, student, case, rule):
    return {
        teacher: ["/observe/", "/observations/", "/register/"],
        counsellor: [
            "/cases/",
            f"/cases/{case.pk}/",
            "/cases/new/",
            "/overview/",
            "/notices/",
            f"/students/{student.pk}/",
            "/students/find/?code=S-0",
        ],
    }


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_axe_finds_no_serious_violation_on_any_page(
    open_browser, school_a, alice, tom, carol, adam, student_a, phone
):
    school_a.designated_counsellor = carol
    school_a.save(update_fields=["designated_counsellor"])
    weeks = three_school_weeks(school_a)
    for week in weeks:
        ObservationFactory(student=student_a, recorded_by=alice, observed_on=week[1])
        ObservationFactory(
            student=student_a, recorded_by=tom, observed_on=week[3], signs=["DISTRESS"]
        )
    StudentFactory(school=school_a, code="S-0043", year_group=10)
    case = FlaggedCaseFactory(student=student_a, owner=carol)
    case_add_note(case=case, by=carol, text="Met at break; agreed a weekly check-in.")
    rule = WarningRule.objects.get(school=school_a, key="persistent_withdrawal")
    pages = _pages(school_a, alice, carol, student_a, case, rule)
    pages[adam] = [
        "/rules/",
        f"/rules/{rule.pk}/",
        "/rules/new/",
        "/school/staff/",
        "/school/students/",
        "/overview/",
        "/cases/",
    ]
    found: list[str] = []
    for user, urls in pages.items():
        b = open_browser(phone=phone)
        b.login(user)
        for url in urls:
            response = b.page.goto(url)
            assert response.status == 200, url
            b.page.wait_for_load_state("networkidle")
            found += axe_violations(b.page)
        b.page.goto("/no-such-page/")
        found += axe_violations(b.page)
        b.close()
    login = open_browser(phone=phone)
    login.page.goto("/login/")
    found += axe_violations(login.page)
    assert not found, "\n".join(found)
