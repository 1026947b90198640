"""The issue's browser tests (1-5), in Debian's Chromium against the live server.

1. A teacher logs observations across school weeks; the evaluation runs; the counsellor sees
   the new case at the top, opens it, sees the chart and the why-flagged evidence,
   acknowledges it and adds a note; the teacher's view shows none of this.
2. An admin lowers a rule's threshold, sees the preview count change before saving, saves,
   and the change appears in the rule's version.
3. A teacher who types a counsellor or admin URL gets 404.
4. The note screening message shows before submitting; a note with an e-mail address cannot
   be sent.
5. The pages work 390 pixels wide without horizontal scrolling.
"""

from __future__ import annotations

import re

import pytest

from alerts.models import Case, CaseStatus, EventKind, WarningRule
from alerts.notifications import notifications_deliver_due
from alerts.services import evaluation_run, rule_preview
from core.screening import SCREENING_HELP
from schools.models import Observation
from tests.factories import FlaggedCaseFactory, ObservationFactory, StudentFactory

from .helpers import log_observation, three_school_weeks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE = "Met at break; agreed a weekly check-in and to talk with the family."


def _no_horizontal_scroll(page) -> tuple[int, int]:
    return page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )


def _overflowing(page) -> list[str]:
    """The innermost elements that reach past the viewport's right edge (tag.class and width),
    to say in a failure what breaks the layout."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth
                && ![...e.children].some(c => c.getBoundingClientRect().right
                    > document.documentElement.clientWidth))
            .slice(0, 5)
            .map(e => e.tagName.toLowerCase() + '.' + e.className + ' '
                + Math.round(e.getBoundingClientRect().width) + ': '
                + (e.textContent || '').trim().slice(0, 40))"""
    )


def test_1_observations_become_a_case_the_counsellor_works(
    open_browser, school_a, alice, tom, carol, student_a
):
    school_a.designated_counsellor = carol
    school_a.save(update_fields=["designated_counsellor"])
    older = FlaggedCaseFactory(
        student=StudentFactory(school=school_a, code="S-0100", year_group=10),
        status=CaseStatus.ACKNOWLEDGED,
        severity="high",
        acknowledged_by=carol,
    )
    weeks = three_school_weeks(school_a)
    # A colleague saw the student too: the rule asks for two adults, not one teacher's view.
    ObservationFactory(
        student=student_a, recorded_by=tom, observed_on=weeks[1][2], signs=["DISTRESS"]
    )

    teacher = open_browser()
    teacher.login(alice)
    signs = [["ISOLATION"], ["REFUSES_CONTACT", "ISOLATION"]]
    for w, week in enumerate(weeks):
        for i, day in enumerate((week[0], week[3])):
            # The first time by typing the code, then from the "Recently" buttons.
            recent = w + i > 0
            log_observation(
                teacher.page, code=student_a.code, day=day, signs=signs[i], recent=recent
            )
    teacher.shot("desktop-observe-saved")
    assert Observation.objects.filter(student=student_a, recorded_by=alice).count() == 6

    summary = evaluation_run(school=school_a)
    case = Case.objects.get(student=student_a)
    assert case.status == CaseStatus.NEW, summary
    # What beat's delivery task does every minute: the e-mail and the in-app notice.
    assert notifications_deliver_due().sent == 1

    counsellor = open_browser()
    counsellor.login(carol)
    page = counsellor.page
    assert page.url.endswith("/cases/")
    assert page.get_by_test_id("unread-count").inner_text() == "1"
    rows = page.get_by_test_id("case-row")
    assert rows.count() == 2
    assert rows.first.get_by_role("link").inner_text() == student_a.code  # new first
    assert older.student.code in rows.nth(1).inner_text()
    counsellor.shot("desktop-cases")

    rows.first.get_by_role("link", name=student_a.code).click()
    page.wait_for_url(f"**/cases/{case.pk}/")
    chart = page.get_by_test_id("evidence-chart")
    assert chart.is_visible()
    assert chart.locator("rect").count() >= 3  # withdrawal signs in each of the three weeks
    why = page.get_by_test_id("why-flagged")
    assert "Persistent withdrawal" in why.inner_text()
    for day in (weeks[0][0], weeks[2][3]):
        assert day.strftime("%a %-d %b") in why.inner_text()
    assert "Refuses contact" in why.inner_text()

    page.get_by_role("button", name="Acknowledge").click()
    page.get_by_text("Acknowledged. The case is yours to work.").wait_for()
    assert page.get_by_test_id("case-status").inner_text() == "Acknowledged"
    page.get_by_label("Note", exact=True).fill(NOTE)
    page.get_by_role("button", name="Add the note").click()
    page.get_by_text("Note added to the timeline.").wait_for()
    assert NOTE in page.get_by_test_id("timeline").inner_text()
    counsellor.shot("desktop-case")
    assert page.get_by_test_id("unread-count").count() == 0  # opening the case read its notice
    case.refresh_from_db()
    assert case.status == CaseStatus.ACKNOWLEDGED and case.acknowledged_by == carol
    assert case.events.filter(kind=EventKind.NOTE, text=NOTE, author=carol).exists()

    # The teacher's view shows none of it.
    teacher.page.goto("/observations/")
    body = teacher.page.locator("body").inner_text()
    assert NOTE not in body and "Acknowledged" not in body
    assert teacher.page.get_by_role("link", name="Cases").count() == 0
    response = teacher.page.goto(f"/cases/{case.pk}/")
    assert response.status == 404
    assert NOTE not in teacher.page.content()


def test_2_admin_previews_a_lower_threshold_then_saves_a_new_version(
    open_browser, school_a, alice, tom, adam, student_a
):
    weeks = three_school_weeks(school_a)
    # One withdrawal observation a week: below the default of two, above a threshold of one.
    for i, week in enumerate(weeks):
        ObservationFactory(
            student=student_a,
            recorded_by=(alice, tom)[i % 2],
            observed_on=week[1],
            signs=[("ISOLATION", "DISTRESS")[i % 2]],
        )
    rule = WarningRule.objects.get(school=school_a, key="persistent_withdrawal")
    assert rule.version == 1

    admin = open_browser()
    admin.login(adam)
    page = admin.page
    page.goto("/rules/")
    admin.shot("desktop-rules")
    page.get_by_role("link", name="Persistent withdrawal").click()
    count = page.get_by_test_id("preview-count")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=preview-count]').textContent === '0'"
    )
    assert page.get_by_test_id("preview-count-line").inner_text() == "Would flag 0 students today."
    page.get_by_label("At least this many per window").fill("1")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=preview-count]').textContent === '1'"
    )
    preview_text = page.get_by_test_id("rule-preview").inner_text()
    assert student_a.code in preview_text
    assert count.inner_text() == "1"
    # The sentence in the number's plural, the number in the same element as before.
    assert page.get_by_test_id("preview-count-line").inner_text() == "Would flag 1 student today."
    # ... and when the student would first have fired, as the service computes it for the
    # edited rule (the date as the page writes it, e.g. "9 Nov 2026").
    edited = WarningRule.objects.get(pk=rule.pk)
    edited.min_events_per_window = 1
    (flagged,) = rule_preview(rule=edited).flagged_on_date
    first = flagged.first_fired_on
    assert re.search(
        rf"{student_a.code}.*would first have fired on {first.day} \w+ {first.year}", preview_text
    ), preview_text
    admin.shot("desktop-rule-preview")
    rule.refresh_from_db()
    assert (rule.version, rule.min_events_per_window) == (1, 2)  # nothing saved yet

    page.get_by_role("button", name=re.compile("^Save")).click()
    page.get_by_text(re.compile(r"Saved: Persistent withdrawal is now version 2")).wait_for()
    assert page.get_by_test_id("rule-version").inner_text() == "2"
    rule.refresh_from_db()
    assert (rule.version, rule.min_events_per_window) == (2, 1)


def test_3_a_teacher_typing_counsellor_or_admin_urls_gets_404(
    open_browser, school_a, alice, student_a
):
    case = FlaggedCaseFactory(student=student_a)
    rule = WarningRule.objects.filter(school=school_a).first()
    teacher = open_browser()
    teacher.login(alice)
    for url in (
        "/cases/",
        f"/cases/{case.pk}/",
        "/overview/",
        "/rules/",
        f"/rules/{rule.pk}/",
        "/school/staff/",
        "/school/students/",
    ):
        response = teacher.page.goto(url)
        assert response.status == 404, url
        assert student_a.code not in teacher.page.content()
    teacher.shot("desktop-404")
    # Logging out ends the session: the teacher's own pages ask for a login again.
    teacher.page.goto("/observe/")
    teacher.logout()
    teacher.page.goto("/observe/")
    assert "/login/" in teacher.page.url


def test_4_screening_shows_first_and_an_email_cannot_be_sent(
    open_browser, school_a, alice, student_a
):
    teacher = open_browser()
    teacher.login(alice)
    page = teacher.page
    page.goto("/observe/")
    assert page.get_by_text(str(SCREENING_HELP)).is_visible()  # before anything is submitted
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    # From the keyboard only: type, arrow down to the student, Enter, then Space on a sign.
    page.get_by_label("Student code").press_sequentially("S-00")
    page.get_by_role("option", name=re.compile(student_a.code)).wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert page.get_by_label("Student code").input_value() == student_a.code
    alone = page.get_by_role("checkbox", name=re.compile("^Alone at breaks"))
    alone.focus()
    page.keyboard.press("Space")
    assert alone.is_checked()
    page.get_by_label("Note (optional)").fill("Parent asked to be emailed at parent@example.org")
    error = page.get_by_role("alert").filter(has_text="contains an e-mail address")
    error.wait_for()
    teacher.shot("desktop-observe-screening")
    page.get_by_role("button", name="Save observation").click()
    page.wait_for_timeout(300)
    assert posts == []
    assert page.url.endswith("/observe/")
    assert not Observation.objects.exists()

    page.get_by_label("Note (optional)").fill("Alone at lunch again; did not join the group.")
    assert not error.is_visible()
    page.get_by_role("button", name="Save observation").click()
    page.get_by_text(re.compile(rf"Recorded: {student_a.code}")).wait_for()
    assert Observation.objects.get().note == "Alone at lunch again; did not join the group."


def test_5_pages_fit_a_390_pixel_phone(open_browser, school_a, alice, carol, adam, student_a):
    for i in range(12):
        StudentFactory(school=school_a, code=f"S-05{i:02d}", year_group=9)
    weeks = three_school_weeks(school_a)
    for week in weeks:  # a real case, with evidence, from the engine
        for day, who, sign in ((week[0], alice, "ISOLATION"), (week[2], carol, "DISTRESS")):
            ObservationFactory(student=student_a, recorded_by=who, observed_on=day, signs=[sign])
    evaluation_run(school=school_a)
    case = Case.objects.get(student=student_a)
    rule = WarningRule.objects.get(school=school_a, key="persistent_withdrawal")
    day = weeks[2][0].isoformat()
    mine = Observation.objects.filter(recorded_by=alice).first()
    pages = {
        "teacher": (
            alice,
            [
                ("observe", "/observe/"),
                ("my-observations", "/observations/"),
                ("correct", f"/observations/{mine.pk}/correct/"),
                ("register", f"/register/?year_group=9&date={day}&session=AM"),
            ],
        ),
        "counsellor": (
            carol,
            [
                ("cases", "/cases/"),
                ("case", f"/cases/{case.pk}/"),
                ("student", f"/students/{student_a.pk}/"),
                ("overview", "/overview/"),
                ("notices", "/notices/"),
            ],
        ),
        "admin": (
            adam,
            [
                ("rules", "/rules/"),
                ("rule-edit", f"/rules/{rule.pk}/"),
                ("staff", "/school/staff/"),
                ("students", "/school/students/"),
            ],
        ),
    }
    anonymous = open_browser(phone=True)
    for name, url in (("login", "/login/"), ("password-reset", "/password-reset/")):
        assert anonymous.page.goto(url).status == 200, url
        width, client = _no_horizontal_scroll(anonymous.page)
        assert width <= client == 390, (url, width)
        anonymous.shot(f"phone-{name}")
    for role, (user, urls) in pages.items():
        phone = open_browser(phone=True)
        phone.login(user)
        for name, url in urls:
            response = phone.page.goto(url)
            assert response.status == 200, url
            phone.page.wait_for_load_state("networkidle")
            width, client = _no_horizontal_scroll(phone.page)
            assert client == 390 and width <= client, (url, width, _overflowing(phone.page))
            phone.shot(f"phone-{role}-{name}")


def test_a_teacher_who_knows_what_they_saw_is_done_in_seven_steps(
    open_browser, school_a, alice, student_a
):
    """The yardstick for *Log an observation* on a phone is what the teacher must do, not how
    long a busy machine takes to do it: four keystrokes of the code, tap the student, tap the
    sign, Save. The date is not touched: it defaults to today at the school. Each step is
    counted as it is done; the observation must be recorded after the seventh."""
    for i in range(30):  # a realistic list to pick from: others share the code's prefix
        StudentFactory(school=school_a, code=f"S-01{i:02d}")
    phone = open_browser(phone=True)
    phone.login(alice)
    page = phone.page
    page.goto("/observe/")
    steps = 0

    def step(action) -> None:
        nonlocal steps
        steps += 1
        action()

    code = page.get_by_label("Student code")
    for key in "0042":
        step(lambda key=key: code.press(key, delay=150))  # typed at a human pace
    step(page.get_by_role("option", name=re.compile(student_a.code)).click)
    step(page.get_by_role("checkbox", name=re.compile("^Alone at breaks")).click)
    step(page.get_by_role("button", name="Save observation").click)
    page.get_by_text(re.compile(rf"Recorded: {student_a.code}")).wait_for()

    observation = Observation.objects.get()
    assert observation.student == student_a and observation.sign_codes == ["ISOLATION"]
    assert observation.observed_on == school_a.today()
    assert steps == 7
