"""Steps the browser tests share: log an observation through the form, data for a case."""

from __future__ import annotations

import re

from schools.calendar import last_school_days
from schools.signs import SIGNS


def log_observation(page, *, code: str, day, signs, note: str = "", recent=False) -> None:
    """Fill the observation form the way a teacher does: type the start of the code and tap
    the student offered (or tap the student under "Recently"), tap the signs, set the date,
    save."""
    page.goto("/observe/")
    if recent:
        page.get_by_role("group", name="Recently:").get_by_role("button", name=code).click()
    else:
        page.get_by_label("Student code").press_sequentially(code[:4])
        page.get_by_role("option", name=re.compile(re.escape(code))).click()
    assert page.get_by_label("Student code").input_value() == code
    for sign in signs:
        page.get_by_role(
            "checkbox", name=re.compile("^" + re.escape(str(SIGNS[sign].label)))
        ).check()
    page.get_by_label("Date", exact=True).fill(day.isoformat())
    if note:
        page.get_by_label("Note (optional)").fill(note)
    page.get_by_role("button", name="Save observation").click()
    page.get_by_text(re.compile(rf"Recorded: {re.escape(code)}")).wait_for()


def three_school_weeks(school):
    """The last 15 school days up to today, as three windows of five (the rules' weeks)."""
    days = last_school_days(school, school.today(), 15)
    assert len(days) == 15
    return [days[0:5], days[5:10], days[10:15]]


# axe-core's impacts that fail a page; "moderate" and "minor" are reported, not failed.
AXE_FAILING = ("serious", "critical")


def axe_violations(page) -> list[str]:
    """Run axe-core (shipped by axe-playwright-python) on the page as it is now and return
    its serious and critical violations, one line each (rule, impact, the first targets)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = []
    for v in results.response["violations"]:
        if v["impact"] in AXE_FAILING:
            targets = "; ".join(", ".join(n["target"]) for n in v["nodes"][:3])
            found.append(f"{page.url}: {v['id']} ({v['impact']}): {targets}")
    return found
