"""Browser tests: Playwright for Python driving Debian's Chromium against pytest-django's
live server on PostgreSQL.

Playwright's sync API runs an event loop in the test thread, and Django refuses database
calls from a thread with a running loop unless told that this is deliberate: the test code
here is synchronous and only waits on the browser, so the guard is lifted for these tests
(and only while one of them runs).
Each test saves screenshots of the pages it visits into tests/screenshots/ (git-ignored).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PASSWORD = "correct horse battery"  # tests/factories.py UserFactory


@pytest.fixture
def chromium(monkeypatch):
    """A headless Chromium for one test. Started and stopped per test, so Playwright's event
    loop runs only while a browser test does: the database flush after the test, and every
    other test of the session, run with no loop in the thread."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs it (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # With the loop running, Django's connections are per context, not per thread: the
        # one this test used would outlive it (and keep the test database from being
        # dropped at the end), so it is closed here, in the context that opened it.
        connections.close_all()
        monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE")


class Browser:
    """One browser context (its own cookies) with a page, bound to the live server."""

    def __init__(
        self,
        chromium,
        base_url: str,
        viewport: dict,
        *,
        phone: bool = False,
        locale: str = "en-GB",
    ):
        self.context = chromium.new_context(
            base_url=base_url,
            viewport=viewport,
            is_mobile=phone,
            has_touch=phone,
            device_scale_factor=2 if phone else 1,
            # The browser's language, sent as Accept-Language.
            locale=locale,
        )
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        # A strict CSP must hold: any violation (an inline script, an outside host) fails.
        self.csp_violations: list[str] = []
        self.page.on(
            "console",
            lambda msg: (
                self.csp_violations.append(msg.text)
                if "Content Security Policy" in msg.text
                else None
            ),
        )
        self.page.on("pageerror", lambda exc: self.csp_violations.append(f"JS error: {exc}"))
        # A step that asks for confirmation (data-confirm) is answered yes, and the question
        # kept; set `answer_dialogs = False` to answer no.
        self.dialogs: list[str] = []
        self.answer_dialogs = True
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        if self.answer_dialogs:
            dialog.accept()
        else:
            dialog.dismiss()

    def login(self, user) -> None:
        page = self.page
        page.goto("/login/")
        page.get_by_label("E-mail address").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
        assert "/login/" not in page.url, "login failed"

    def logout(self) -> None:
        self.page.get_by_role("button", name="Log out").click()
        self.page.wait_for_url("**/login/")

    def shot(self, name: str, *, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_browser(chromium, live_server):
    """`open_browser()` for a desktop window, `open_browser(phone=True)` for a 390px phone;
    `locale="ja-JP"` for a browser set to Japanese."""
    opened: list[Browser] = []

    def make(*, phone: bool = False, locale: str = "en-GB") -> Browser:
        b = Browser(
            chromium, live_server.url, PHONE if phone else DESKTOP, phone=phone, locale=locale
        )
        opened.append(b)
        return b

    yield make
    for b in opened:
        violations = b.csp_violations
        b.close()
        assert not violations, violations
