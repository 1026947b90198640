"""The case page's dates say what they are, agree with the rule preview, and each evidence
window is shown as the school weeks it covers."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import formats

from alerts.case_dates import week_parts
from alerts.models import Case, WarningRule
from alerts.services.evaluation import evaluation_run
from schools.calendar import school_days_between
from tests.factories import ObservationFactory, StudentFactory, rule_edit_form

pytestmark = pytest.mark.django_db


def _text(html: str, testid: str) -> list[str]:
    found = re.findall(rf'data-testid="{testid}"[^>]*>(.*?)</', html, flags=re.S)
    return [re.sub(r"\s+", " ", f).strip() for f in found]


def _withdrawal_every_school_day(student, days, first, second) -> None:
    for i, day in enumerate(days):
        ObservationFactory(
            student=student,
            observed_on=day,
            signs=["ISOLATION" if i % 2 else "DISTRESS"],
            recorded_by=first if i % 2 else second,
        )


def test_conditions_first_held_is_the_previews_would_first_have_fired(
    as_user, school_a, carol, adam, alice, tom
):
    today = school_a.today()
    days = school_days_between(school_a, today - dt.timedelta(days=70), today)[-25:]
    student = StudentFactory(school=school_a, code="S-0777")
    _withdrawal_every_school_day(student, days, alice, tom)
    # The nightly job runs only today (records came in late): the case opens today, while
    # the rule's conditions held from an earlier day.
    evaluation_run(school=school_a, on_date=today)
    case = Case.objects.get(student=student)
    rule = WarningRule.objects.get(school=school_a, key="persistent_withdrawal")

    page = as_user(carol).get(reverse("case-detail", args=[case.pk])).content.decode()
    data = rule_edit_form(rule)
    answer = as_user(adam).post(reverse("rule-preview", args=[rule.pk]), data).json()
    (previewed,) = [s for s in answer["students"] if s["code"] == "S-0777"]
    would_first = dt.date.fromisoformat(previewed["first_fired_on"])

    assert _text(page, "first-held") == [formats.date_format(would_first, "DATE_FORMAT")]
    # The three dates are different things, in the order they happen.
    assert case.persisted_since < would_first < case.opened_at.date()
    assert would_first in days
    assert (
        "Rule&#x27;s conditions first held on" in page or "Rule's conditions first held on" in page
    )
    assert "Pattern visible since" in page and "Case opened on" in page
    assert _text(page, "opened-on") == [formats.date_format(case.opened_at, "DATE_FORMAT")]
    # The PDF chronology reads the same dates.
    from alerts.chronology import case_chronology

    chron = case_chronology(case=case, by=carol)
    assert [r["first_held_on"] for r in chron.rules] == [would_first]


def test_a_window_reads_as_the_school_weeks_it_covers(as_user, school_a, carol, alice, tom):
    today = school_a.today()
    days = school_days_between(school_a, today - dt.timedelta(days=70), today)[-15:]
    student = StudentFactory(school=school_a, code="S-0778")
    _withdrawal_every_school_day(student, days, alice, tom)
    evaluation_run(school=school_a, on_date=today)
    case = Case.objects.get(student=student)
    page = as_user(carol).get(reverse("case-detail", args=[case.pk])).content.decode()
    headings = _text(page, "window-weeks")
    assert len(headings) == 3
    # Each window's weeks, counted on the calendar, hold its five school days.
    for heading, window in zip(headings, [days[0:5], days[5:10], days[10:15]], strict=True):
        mondays = sorted({d - dt.timedelta(days=d.weekday()) for d in window})
        for monday in mondays:
            assert formats.date_format(monday, "D j M") in heading
    assert page.count(": 5 school days, 5 observations on 5 days") == 3


def test_week_parts_names_the_weekdays_of_each_week():
    # Wed 11 Nov 2026 to Tue 17 Nov: Wednesday to Friday, then Monday and Tuesday.
    days = [dt.date(2026, 11, d) for d in (11, 12, 13, 16, 17)]
    parts = week_parts(days)
    assert [(p["monday"], p["days"]) for p in parts] == [
        (dt.date(2026, 11, 9), 3),
        (dt.date(2026, 11, 16), 2),
    ]
    assert [p["label"] for p in parts] == [
        "week of Mon 9 Nov (Wed–Fri)",
        "week of Mon 16 Nov (Mon–Tue)",
    ]
