"""The service in Japanese and in Italian, in Debian's Chromium against the live server.

- A Japanese-speaking teacher, at a school whose language is Japanese and with a browser set
  to Japanese, signs in on a Japanese login page and logs an observation with a Japanese
  note, reading the signs in Japanese.
- An Italian-speaking counsellor, at an English-speaking school, has chosen Italian on her
  profile: the case page, the chart, the rule and her actions on the case are in Italian.
- In Japanese, the teacher's and the counsellor's pages fit a 390-pixel phone (longer or
  wider text does not break the layout).
Screenshots of these pages are copied to docs/screenshots/ (ja-*, it-*).
"""

from __future__ import annotations

import re

import pytest

from alerts.models import Case, CaseStatus, EventKind
from alerts.services import evaluation_run
from schools.models import Observation
from tests.factories import ObservationFactory

from .conftest import PASSWORD
from .helpers import three_school_weeks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE_JA = "昼休みは図書室で一人で過ごしていた。声をかけると小さくうなずいた。"
NOTE_IT = (
    "Colloquio con lo studente: concordato un incontro settimanale e una telefonata ai genitori."
)


def _sign_in(browser, user, *, email: str, password: str, button: str) -> None:
    page = browser.page
    page.goto("/login/")
    page.get_by_label(email).fill(user.email)
    page.get_by_label(password, exact=True).fill(PASSWORD)
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()
    assert "/login/" not in page.url, "login failed"


def _overflow(page) -> tuple[int, int]:
    return page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )


def _case(school, student, first, second) -> Case:
    for week in three_school_weeks(school):
        ObservationFactory(
            student=student, recorded_by=first, observed_on=week[0], signs=["ISOLATION"]
        )
        ObservationFactory(
            student=student, recorded_by=second, observed_on=week[2], signs=["DISTRESS"]
        )
    evaluation_run(school=school)
    return Case.objects.get(student=student)


def test_a_japanese_teacher_logs_an_observation(open_browser, school_a, alice, student_a):
    school_a.default_language = "ja"
    school_a.save(update_fields=["default_language"])
    teacher = open_browser(locale="ja-JP")
    page = teacher.page
    page.goto("/login/")
    assert page.locator("h1").inner_text() == "ログイン"
    assert page.locator("html").get_attribute("lang") == "ja"
    teacher.shot("ja-desktop-login")
    _sign_in(teacher, alice, email="メールアドレス", password="パスワード", button="ログイン")

    page.goto("/observe/")
    assert page.locator("h1").inner_text() == "観察の記録"
    assert "休み時間や昼食をひとりで過ごし、グループ活動を避ける。" in page.content()
    page.get_by_label("生徒コード").press_sequentially(student_a.code[:4])
    page.get_by_role("option", name=re.compile(re.escape(student_a.code))).click()
    page.get_by_role("checkbox", name=re.compile("^休み時間にひとり")).check()
    page.get_by_role("checkbox", name=re.compile("^関わりを拒む")).check()
    day = three_school_weeks(school_a)[2][0]
    page.get_by_label("日付", exact=True).fill(day.isoformat())
    page.get_by_label("メモ（任意）").fill(NOTE_JA)
    teacher.shot("ja-desktop-observe")
    page.get_by_role("button", name="記録を保存する").click()
    page.get_by_text(re.compile(rf"記録しました：{re.escape(student_a.code)}")).wait_for()
    saved = Observation.objects.get(student=student_a, recorded_by=alice)
    assert (saved.note, saved.observed_on, sorted(saved.sign_codes)) == (
        NOTE_JA,
        day,
        ["ISOLATION", "REFUSES_CONTACT"],
    )
    # A phone number written in full-width digits is refused, with the Japanese message.
    page.goto("/observe/")
    note = page.get_by_label("メモ（任意）")
    note.fill("保護者の連絡先は０９０－１２３４－５６７８です")
    page.get_by_text("このメモには電話番号が含まれています。").wait_for()
    page.get_by_text("自分の記録").first.click()
    assert page.locator("h1").inner_text() == "自分の記録"


def test_an_italian_counsellor_works_a_case(open_browser, school_a, alice, tom, carol, student_a):
    school_a.designated_counsellor = carol
    school_a.save(update_fields=["designated_counsellor"])
    carol.language = "it"  # her own choice; the school speaks English
    carol.save(update_fields=["language"])
    case = _case(school_a, student_a, alice, tom)

    counsellor = open_browser()  # a browser in English: the login page is English
    counsellor.page.goto("/login/")
    assert counsellor.page.locator("h1").inner_text() == "Log in"
    _sign_in(counsellor, carol, email="E-mail address", password="Password", button="Log in")
    page = counsellor.page
    assert page.locator("h1").first.inner_text() == "Casi"
    page.get_by_role("link", name=student_a.code).first.click()
    page.wait_for_url(f"**/cases/{case.pk}/")
    why = page.get_by_test_id("why-flagged")
    assert "Perché è stato segnalato" in why.inner_text()
    assert "Ritiro persistente" in why.inner_text()
    assert "Scatta quando, in ciascuna di 3 settimane di scuola consecutive" in why.inner_text()
    assert page.get_by_test_id("case-status").inner_text() == "Nuovo"
    chart = page.get_by_test_id("evidence-chart")
    assert chart.is_visible()
    # Italian writes 12,5 for twelve and a half; the chart's coordinates must not.
    bar = chart.locator("rect").first
    assert all("," not in (bar.get_attribute(a) or "") for a in ("x", "y", "width", "height"))
    assert float(bar.get_attribute("height")) > 0
    assert "Segnali: Ritiro" in page.locator(".legend").inner_text()

    page.get_by_role("button", name="Prendi in carico").click()
    page.get_by_text("Preso in carico. Il caso ora è tuo.").wait_for()
    assert page.get_by_test_id("case-status").inner_text() == "Preso in carico"
    page.get_by_label("Nota", exact=True).fill(NOTE_IT)
    page.get_by_role("button", name="Aggiungi la nota").click()
    page.get_by_text("Nota aggiunta alla cronologia.").wait_for()
    assert NOTE_IT in page.get_by_test_id("timeline").inner_text()
    counsellor.shot("it-desktop-case")
    case.refresh_from_db()
    assert case.status == CaseStatus.ACKNOWLEDGED
    assert case.events.filter(kind=EventKind.NOTE, text=NOTE_IT, author=carol).exists()

    # The English-speaking teacher of the same school still reads English.
    teacher = open_browser()
    teacher.login(alice)
    teacher.page.goto("/observe/")
    assert teacher.page.locator("h1").inner_text() == "Log an observation"


def test_japanese_pages_fit_a_390_pixel_phone(open_browser, school_a, alice, tom, carol, student_a):
    school_a.default_language = "ja"
    school_a.save(update_fields=["default_language"])
    case = _case(school_a, student_a, alice, tom)
    day = three_school_weeks(school_a)[2][0].isoformat()
    pages = {
        alice: [
            ("observe", "/observe/", "観察の記録"),
            ("my-observations", "/observations/", "自分の記録"),
            ("register", f"/register/?year_group=9&date={day}&session=AM", "出欠"),
            ("profile", "/profile/", "プロフィール"),
        ],
        carol: [
            ("cases", "/cases/", "ケース"),
            ("case", f"/cases/{case.pk}/", "検出された理由"),
            ("student", f"/students/{student_a.pk}/", "週ごとの出欠"),
            ("overview", "/overview/", "概要"),
        ],
    }
    for user, urls in pages.items():
        phone = open_browser(phone=True, locale="ja-JP")
        _sign_in(phone, user, email="メールアドレス", password="パスワード", button="ログイン")
        for name, url, text in urls:
            response = phone.page.goto(url)
            assert response.status == 200, url
            phone.page.wait_for_load_state("networkidle")
            assert text in phone.page.locator("main").inner_text(), url
            width, client = _overflow(phone.page)
            assert client == 390 and width <= client, (url, width)
            phone.shot(f"ja-phone-{name}")
