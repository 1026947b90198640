"""Casework a counsellor takes into a meeting, in Debian's Chromium against the live server:
the chronology PDF (downloaded and read back with pypdf), giving the case an owner, a review
reminder arriving, resolving and reopening, finding by part of a code, a concern raised by
hand, and an admin building a rule with its live preview."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader

from alerts.models import Case, CaseOrigin, CaseStatus, WarningRule
from alerts.notifications import notifications_deliver_due, reviews_remind_due
from schools.calendar import school_days_between
from schools.models import Membership, Role, Student
from tests.factories import FlaggedCaseFactory, ObservationFactory, StudentFactory, UserFactory

from .helpers import axe_violations, three_school_weeks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dora(school_a):
    user = UserFactory(email="dora@north.test")
    Membership.objects.create(user=user, school=school_a, role=Role.COUNSELLOR)
    return user


def _evidence(student, school, first, second):
    for week in three_school_weeks(school):
        ObservationFactory(student=student, recorded_by=first, observed_on=week[1])
        ObservationFactory(
            student=student, recorded_by=second, observed_on=week[3], signs=["DISTRESS"]
        )


def test_the_chronology_pdf_owner_and_review_reminder(
    open_browser, school_a, alice, tom, carol, dora, student_a
):
    student_a.year_group = 9
    student_a.save()
    _evidence(student_a, school_a, alice, tom)
    case = FlaggedCaseFactory(student=student_a, status=CaseStatus.ACKNOWLEDGED, owner=carol)
    b = open_browser()
    b.login(carol)
    page = b.page
    page.goto(f"/cases/{case.pk}/")

    with page.expect_download() as download:
        page.get_by_test_id("case-pdf").click()
    pdf = download.value
    assert pdf.suggested_filename.startswith("chronology-S-0042-")
    with open(pdf.path(), "rb") as f:
        reader = PdfReader(io.BytesIO(f.read()))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    for expected in (
        "North Academy",
        "Case chronology: S-0042",
        "Year group 9",
        "carol@north.test",
    ):
        assert expected in text, expected
    assert "Sensitive: child-welfare data" in text

    # Hand the case to a colleague; the timeline says so and the list shows the owner.
    page.get_by_text("Owner and review date").click()
    page.get_by_label("Owner").select_option(label="dora@north.test")
    page.get_by_role("button", name="Change the owner").click()
    page.get_by_text("dora@north.test now owns the case.").wait_for()
    assert (
        "Owner: carol@north.test → dora@north.test" in page.get_by_test_id("timeline").inner_text()
    )
    page.goto("/cases/")
    assert page.get_by_test_id("case-owner").first.inner_text() == "dora@north.test"
    b.shot("desktop-cases-owner")
    page.get_by_label("Owner", exact=True).select_option("mine")
    page.get_by_role("button", name="Filter").click()
    page.get_by_text("No cases match.").wait_for()

    # The owner sets a review date on the next school day; beat's scan on that day reminds
    # her in the app (and by e-mail), through the outbox.
    review_on = school_days_between(
        school_a, school_a.today() + dt.timedelta(days=1), school_a.today() + dt.timedelta(days=30)
    )[0]
    owner = open_browser()
    owner.login(dora)
    owner.page.goto(f"/cases/{case.pk}/")
    owner.page.get_by_text("Owner and review date").click()
    owner.page.get_by_label("Review on").fill(review_on.isoformat())
    owner.page.get_by_role("button", name="Set the review date").click()
    owner.page.get_by_text(re.compile("the owner is reminded that day")).wait_for()
    on_the_day = dt.datetime.combine(review_on, dt.time(9), tzinfo=dt.UTC)
    assert [c.pk for c in reviews_remind_due(now=on_the_day)] == [case.pk]
    assert notifications_deliver_due(now=on_the_day).sent == 1
    owner.page.goto("/cases/")
    assert owner.page.get_by_test_id("unread-count").inner_text() == "1"
    owner.page.goto("/notices/")
    assert "A case you own is due for review: S-0042" in owner.page.locator("main").inner_text()
    owner.shot("desktop-review-reminder")


def test_resolving_reopening_search_and_a_concern_by_hand(open_browser, school_a, carol, student_a):
    case = FlaggedCaseFactory(student=student_a, status=CaseStatus.IN_PROGRESS, owner=carol)
    other = StudentFactory(school=school_a, code="T-0777", year_group=8)
    b = open_browser()
    b.login(carol)
    page = b.page
    page.goto(f"/cases/{case.pk}/")
    # The status list offers only the steps the workflow allows from "in progress".
    page.get_by_text("Change the status").click()
    options = page.get_by_label("New status").locator("option").all_inner_texts()
    assert options == ["Monitoring"]
    page.get_by_text("Resolve", exact=True).click()
    page.get_by_label("Why is the case resolved?").fill("Back in lessons every day.")
    page.get_by_role("button", name="Resolve the case").click()
    page.get_by_text(re.compile("^Resolved. New evidence after today")).wait_for()
    assert b.dialogs == [
        "Resolve the case of S-0042? It stops being worked; new evidence after today, or a "
        "counsellor, can reopen it."
    ]
    assert page.get_by_text("Change the status").count() == 0
    page.get_by_label("Why is the case reopened?").fill("Her tutor says the pattern is back.")
    page.get_by_role("button", name="Reopen the case").click()
    page.get_by_text("Reopened: the case is in progress again.").wait_for()
    assert page.get_by_test_id("case-status").inner_text() == "In progress"
    assert "Her tutor says the pattern is back." in page.get_by_test_id("timeline").inner_text()

    # Find by part of a code, in any case: the case list, then the student.
    page.goto("/cases/")
    page.get_by_label("Student code contains").fill("s-00")
    page.get_by_role("button", name="Filter").click()
    assert page.get_by_test_id("case-row").count() == 1
    page.get_by_label("Find a student by code").fill("t-07")
    page.get_by_role("button", name="Find").click()
    page.wait_for_url(f"**/students/{other.pk}/")
    assert page.get_by_test_id("student-cases").inner_text().count("Open case") == 0

    # A concern raised by hand for that student, from the student page.
    page.get_by_role("link", name="Raise a concern by hand").click()
    assert page.get_by_label("Student code").input_value() == "T-0777"
    page.get_by_label("What is the concern?").fill("Told me she dreads the bus every morning.")
    page.get_by_role("button", name="Open the case").click()
    page.get_by_text("Case opened for T-0777.").wait_for()
    raised = Case.objects.get(student=other)
    assert (raised.origin, raised.owner, raised.status) == (
        CaseOrigin.PERSON,
        carol,
        CaseStatus.ACKNOWLEDGED,
    )
    assert page.get_by_test_id("case-origin").inner_text() == "Raised by a person"
    page.goto(f"/students/{other.pk}/")
    page.get_by_test_id("student-cases").get_by_role("link").first.click()
    page.wait_for_url(f"**/cases/{raised.pk}/")
    assert not axe_violations(page)


def test_an_admin_builds_a_rule_with_its_preview(open_browser, school_a, alice, tom, adam):
    student = StudentFactory(school=school_a, code="S-0300")
    for week in three_school_weeks(school_a)[1:]:
        for day in week[:3]:
            ObservationFactory(
                student=student, recorded_by=alice, observed_on=day, signs=["FATIGUE"]
            )
    b = open_browser()
    b.login(adam)
    page = b.page
    page.goto("/rules/")
    page.get_by_test_id("rule-new").click()
    page.wait_for_url("**/rules/new/**")
    page.get_by_label("Name").fill("Exhausted in class")
    page.get_by_role("checkbox", name=re.compile("^Asleep or exhausted")).check()
    page.get_by_label("Count:", exact=True).select_option("days")
    page.get_by_label("At least this many per window").fill("3")
    page.get_by_label("Windows in a row").fill("2")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=preview-count]').textContent === '1'"
    )
    assert "S-0300" in page.get_by_test_id("rule-preview").inner_text()
    description = page.get_by_test_id("rule-description")
    assert description.inner_text() == (
        "Fires when, in each of 2 school weeks in a row, there are at least 3 days with one "
        "of the signs it counts (Asleep or exhausted)."
    )
    # Only the chosen kind's fields show: an attendance rule has a threshold, no signs.
    page.get_by_label("Kind").select_option("attendance_rate")
    assert page.get_by_test_id("sign-pattern-fields").is_hidden()
    assert page.get_by_label("Attendance below (%)").is_visible()
    page.get_by_label("Kind").select_option("sign_pattern")
    assert page.get_by_label("Attendance below (%)").is_hidden()
    b.shot("desktop-rule-new")
    assert not axe_violations(page)
    page.get_by_role("button", name="Create the rule").click()
    page.get_by_text(re.compile("Rule Exhausted in class created")).wait_for()
    rule = WarningRule.objects.get(school=school_a, name="Exhausted in class")
    assert (rule.signs, rule.count_unit, rule.enabled, rule.version) == (
        ["FATIGUE"],
        "days",
        False,
        1,
    )
    assert rule.description == description.inner_text()


def test_disabling_a_rule_asks_first_and_no_keeps_it(open_browser, school_a, adam):
    rule = WarningRule.objects.get(school=school_a, key="persistent_withdrawal")
    b = open_browser()
    b.login(adam)
    b.page.goto("/rules/")
    b.answer_dialogs = False
    b.page.get_by_role("button", name="Disable Persistent withdrawal").click()
    # No submit left the page: it is still the list, and a reload still offers "Disable".
    assert b.page.url.endswith("/rules/")
    b.page.reload()
    assert b.page.get_by_role("button", name="Disable Persistent withdrawal").count() == 1
    assert b.dialogs == [
        "Disable Persistent withdrawal? It stops opening cases from the next evaluation; "
        "open cases stay open."
    ]
    rule.refresh_from_db()
    assert (rule.enabled, rule.version) == (True, 1)
    b.answer_dialogs = True
    b.page.get_by_role("button", name="Disable Persistent withdrawal").click()
    b.page.get_by_text(re.compile("Persistent withdrawal is disabled")).wait_for()
    rule.refresh_from_db()
    assert (rule.enabled, rule.version) == (False, 2)


def test_a_failed_bulk_add_shows_its_errors_in_the_viewport(open_browser, school_a, adam):
    StudentFactory.create_batch(100, school=school_a)  # a long page: the form is far below
    StudentFactory(school=school_a, code="S-7001")
    b = open_browser()
    b.login(adam)
    page = b.page
    page.goto("/school/students/")
    page.get_by_label("Codes").fill("S-7000\nS-7001\nnot a code")
    page.get_by_role("button", name="Add all").click()
    page.wait_for_load_state()
    summary = page.get_by_test_id("error-summary")
    summary.wait_for()
    text = summary.inner_text()
    assert "No student was added" in text and "S-7001" in text and "not a code" in text.lower()
    assert page.evaluate("() => document.activeElement.dataset.testid") == "error-summary"
    box = summary.bounding_box()
    viewport = page.viewport_size
    assert 0 <= box["y"] < viewport["height"], (box, viewport)
    b.shot("desktop-students-bulk-error")
    assert not Student.objects.filter(code="S-7000").exists()


def test_on_a_phone_save_is_in_the_first_screen_after_picking_a_sign(
    open_browser, school_a, alice, student_a
):
    b = open_browser(phone=True)
    b.login(alice)
    page = b.page
    page.goto("/observe/")
    page.get_by_label("Student code").press_sequentially("S-00")
    page.get_by_role("option", name=re.compile("S-0042")).click()
    # The last sign of the list: the furthest a teacher scrolls to pick one.
    page.get_by_role("checkbox", name=re.compile("^Family strain")).check()
    save = page.get_by_role("button", name="Save observation")
    box = save.bounding_box()
    height = page.viewport_size["height"]
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, (box, height)
    # And from the top of the form too, before any scrolling.
    page.evaluate("() => window.scrollTo(0, 0)")
    box = save.bounding_box()
    assert box["y"] + box["height"] <= height, (box, height)
    b.shot("phone-observe-save-in-view", full_page=False)  # what the teacher sees
    save.click()
    page.get_by_text(re.compile(r"Recorded: S-0042")).wait_for()


def test_on_a_phone_the_chart_text_is_at_least_11_pixels(
    open_browser, school_a, alice, tom, carol, student_a
):
    _evidence(student_a, school_a, alice, tom)
    case = FlaggedCaseFactory(student=student_a, since=school_a.today() - dt.timedelta(weeks=14))
    b = open_browser(phone=True)
    b.login(carol)
    b.page.goto(f"/cases/{case.pk}/")
    sizes = b.page.evaluate(
        """() => {
          const svg = document.querySelector('[data-testid=evidence-chart]');
          const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
          return [...svg.querySelectorAll('text')].map(
            t => parseFloat(getComputedStyle(t).fontSize) * scale);
        }"""
    )
    assert sizes and min(sizes) >= 11, sizes
    width, client = b.page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width <= client, "the page itself never scrolls sideways"
    b.shot("phone-counsellor-case")


def test_on_a_phone_the_rule_preview_count_rides_with_the_fields(
    open_browser, school_a, alice, tom, adam, student_a
):
    for i, week in enumerate(three_school_weeks(school_a)):
        ObservationFactory(
            student=student_a,
            recorded_by=(alice, tom)[i % 2],
            observed_on=week[1],
            signs=[("ISOLATION", "DISTRESS")[i % 2]],
        )
    rule = WarningRule.objects.get(school=school_a, key="persistent_withdrawal")
    b = open_browser(phone=True)
    b.login(adam)
    page = b.page
    page.goto(f"/rules/{rule.pk}/")
    field = page.get_by_label("At least this many per window")
    field.fill("1")
    page.wait_for_function(
        "() => document.querySelector('[data-preview-mini]').textContent === '1'"
    )
    mini = page.locator("[data-preview-mini]")
    box, height = mini.bounding_box(), page.viewport_size["height"]
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, (box, height)
    assert field.bounding_box()["y"] < height, "the field being changed is on the same screen"


def _summary_in_view_with_focus(page) -> str:
    summary = page.get_by_test_id("error-summary").first
    summary.wait_for()
    assert page.evaluate("() => document.activeElement.dataset.testid") == "error-summary"
    box = summary.bounding_box()
    assert box is not None and 0 <= box["y"] < page.viewport_size["height"], box
    return summary.inner_text()


def test_a_refused_form_says_so_at_the_top_with_the_focus_there(
    open_browser, school_a, carol, student_a
):
    case = FlaggedCaseFactory(student=student_a, status=CaseStatus.IN_PROGRESS, owner=carol)
    b = open_browser(phone=True)
    b.login(carol)
    page = b.page
    # A concern for a code that is no student: the summary links to the field in error,
    # which still shows its own error beside it.
    page.goto("/cases/new/")
    page.get_by_label("Student code").fill("S-9999")
    page.get_by_label("What is the concern?").fill("Says she cannot face the canteen.")
    page.get_by_role("button", name="Open the case").click()
    page.wait_for_load_state()
    text = _summary_in_view_with_focus(page)
    assert "The case was not opened" in text
    page.get_by_test_id("error-summary").get_by_role("link").first.click()
    assert page.evaluate("() => document.activeElement.id") == "id_code"
    b.shot("phone-concern-error-summary")
    # A case-page form sends the reader back to the top of a long page: the refusal is there.
    page.goto(f"/cases/{case.pk}/")
    page.get_by_text("Owner and review date").click()
    page.get_by_label("Review on").fill("2000-01-01")
    page.get_by_role("button", name="Set the review date").click()
    page.wait_for_load_state()
    assert "Nothing was saved" in _summary_in_view_with_focus(page)
    case.refresh_from_db()
    assert case.review_on is None
