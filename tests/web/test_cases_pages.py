"""The counsellor's pages: the case list order and filters, the case page (why flagged,
chart, timeline, the case forms), the overview, and the notices bell."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alerts.charts import weekly_series
from alerts.models import CaseEvent, CaseStatus, EventKind, Notice, WarningRule
from core.models import AuditEvent
from tests.factories import (
    AttendanceRecordFactory,
    CaseEvidenceFactory,
    CaseFactory,
    FlaggedCaseFactory,
    MembershipFactory,
    NoticeFactory,
    ObservationFactory,
    StudentFactory,
    UserFactory,
)
from tests.languages import speaking


def _codes(response) -> list[str]:
    return [c.student.code for c in response.context["cases"]]


@pytest.mark.django_db
def test_cases_new_first_then_severity_stage_and_age(as_user, carol, school_a):
    def student(code, year=9):
        return StudentFactory(school=school_a, code=code, year_group=year)

    old = dt.date(2026, 3, 2)
    young = dt.date(2026, 10, 5)
    FlaggedCaseFactory(
        student=student("S-0001"), status="acknowledged", severity="high", since=young
    )
    FlaggedCaseFactory(student=student("S-0002"), status="new", severity="low", since=young)
    FlaggedCaseFactory(student=student("S-0003"), status="monitoring", severity="high", since=old)
    FlaggedCaseFactory(student=student("S-0004"), status="new", severity="critical", since=young)
    FlaggedCaseFactory(
        student=student("S-0005"),
        status="in_progress",
        severity="high",
        stage="persistent",
        since=young,
    )
    FlaggedCaseFactory(
        student=student("S-0006", year=10),
        status="resolved",
        severity="critical",
        resolved_at=timezone.now(),
    )
    client = as_user(carol)
    # New first; then severity; within high, the later stage; within watch, the older pattern.
    assert _codes(client.get(reverse("cases"))) == [
        "S-0004",
        "S-0002",
        "S-0005",
        "S-0003",
        "S-0001",
    ]
    assert _codes(client.get(reverse("cases"), {"status": "resolved"})) == ["S-0006"]
    assert _codes(client.get(reverse("cases"), {"status": "all", "year_group": 10})) == ["S-0006"]
    assert _codes(client.get(reverse("cases"), {"stage": "persistent"})) == ["S-0005"]
    assert _codes(client.get(reverse("cases"), {"status": "new", "severity": "low"})) == ["S-0002"]


@pytest.mark.django_db
def test_the_case_list_rows_are_in_the_readers_language(as_user, carol, school_a):
    FlaggedCaseFactory(
        student=StudentFactory(school=school_a, code="S-0001"), status="new", severity="high"
    )
    CaseFactory(student=StudentFactory(school=school_a, code="S-0002"), origin="person")
    html = as_user(speaking(carol, "it")).get(reverse("cases")).content.decode()
    rows = html[html.index("<tbody>") : html.index("</tbody>")].split("</tr>")
    (flagged_row,) = [r for r in rows if "S-0001" in r]
    (raised_row,) = [r for r in rows if "S-0002" in r]
    for italian in ("Nuovo", "Alta", "Attenzione", "Ritiro persistente"):
        assert italian in flagged_row
    assert "segnalato da una persona" in raised_row


@pytest.mark.django_db
def test_the_case_list_reads_the_same_queries_for_2_rows_or_12(as_user, carol, school_a, school_b):
    """The list loads only the columns a row shows (alerts.views.cases.LIST_COLUMNS): a row
    that read one more (an owner's, a school's for a reader of two) would cost a query a row."""
    MembershipFactory(user=carol, school=school_b, role="counsellor")
    client = as_user(carol)

    def cases(n: int, school) -> None:
        for i in range(n):
            student = StudentFactory(school=school, code=f"S-{school.pk}{n}{i:02d}")
            FlaggedCaseFactory(
                student=student, owner=carol if i % 2 else None, review_on=dt.date(2026, 1, 5)
            )

    def queries() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(reverse("cases"), {"status": "all"}).content.decode()
        return len(ctx.captured_queries), html

    cases(1, school_a)
    cases(1, school_b)
    few, _html = queries()
    cases(5, school_a)
    cases(5, school_b)
    many, html = queries()
    assert few == many
    assert html.count('data-testid="case-row"') == 12
    assert "North Academy" in html and "South High" in html and ">you<" in html


@pytest.mark.django_db
def test_the_kept_filter_form_follows_the_language_the_values_and_the_year_groups(
    as_user, carol, school_a
):
    """The filter form is rendered once a process for each language, set of values and year
    groups (alerts.forms.CaseFilterForm.rendering_key): none of them may show another's."""
    StudentFactory(school=school_a, code="S-0001", year_group=9)
    client = as_user(carol)

    def form(**query) -> str:
        html = client.get(reverse("cases"), query).content.decode()
        return html[html.index('<form method="get" class="filters') :].split("</form>")[0]

    english = form()
    assert "Student code contains" in english and 'value="new" selected' not in english
    assert 'value="new" selected' in form(status="new")
    assert 'value="S-0001"' in form(code="S-0001")
    assert "Year 10" not in english
    StudentFactory(school=school_a, code="S-0002", year_group=10)
    assert "Year 10" in form()
    italian = as_user(speaking(carol, "it"))
    html = italian.get(reverse("cases")).content.decode()
    assert "Il codice studente contiene" in html and "Student code contains" not in html
    # The owner filter's choices too.
    assert all(word in html for word in (">Chiunque<", ">Miei<", ">Ancora nessuno<"))
    assert not any(word in html for word in (">Anyone<", ">Mine<", ">Nobody yet<"))


@pytest.mark.django_db
def test_the_case_list_comes_in_pages_that_keep_the_order_and_the_filters(
    as_user, carol, school_a, monkeypatch
):
    monkeypatch.setattr(importlib.import_module("alerts.views.cases"), "PAGE_SIZE", 2)
    for n, severity in enumerate(["low", "critical", "medium", "high", "low"], start=1):
        student = StudentFactory(school=school_a, code=f"S-00{n:02d}", year_group=9)
        FlaggedCaseFactory(student=student, status="new", severity=severity)
    StudentFactory(school=school_a, code="S-0099", year_group=10)
    client = as_user(carol)
    pages = [client.get(reverse("cases"), {"year_group": 9, "page": p}) for p in (1, 2, 3)]
    # The whole order, cut in pages: the most severe first, then the older pattern.
    assert [_codes(r) for r in pages] == [["S-0002", "S-0004"], ["S-0003", "S-0001"], ["S-0005"]]
    first = pages[0].content.decode()
    assert "Cases 1 to 2 of 5 that match" in first
    assert "year_group=9&amp;page=2" in first and ">Next</a>" in first
    assert ">Previous</a>" not in first
    # Past the last page: the last page, not an error.
    assert _codes(client.get(reverse("cases"), {"year_group": 9, "page": 9})) == ["S-0005"]
    # Only the cases shown are recorded as read: 2 + 2 + 1 + 1.
    assert AuditEvent.objects.filter(actor=carol, action="case.list").count() == 6
    # The download holds every case that matches, whatever the page.
    export = client.get(reverse("cases-export"), {"year_group": 9})
    assert sum(1 for line in export.content.decode().splitlines() if "S-00" in line) == 5


@pytest.mark.django_db
def test_the_case_page_shows_why_flagged_chart_and_is_audited(
    as_user, carol, alice, case_a, student_a
):
    rule = WarningRule.objects.get(school=student_a.school, key="persistent_withdrawal")
    monday = case_a.persisted_since  # the Monday the case's pattern began
    day = monday + dt.timedelta(days=2)
    obs = ObservationFactory(
        student=student_a, recorded_by=alice, observed_on=day, signs=["ISOLATION"]
    )
    mark = AttendanceRecordFactory(student=student_a, date=day, session="PM")
    for record in ({"observation": obs}, {"attendance": mark}):
        CaseEvidenceFactory(
            case=case_a,
            rule=rule,
            on_date=day,
            window_start=monday,
            window_end=monday + dt.timedelta(days=4),
            **record,
        )
    response = as_user(carol).get(reverse("case-detail", args=[case_a.pk]))
    html = response.content.decode()
    assert "Persistent withdrawal" in html
    assert "Alone at breaks" in html and "alice@north.test" in html
    assert "Unauthorised absence" in html
    assert 'data-testid="evidence-chart"' in html and 'class="bar-withdrawal"' in html
    assert AuditEvent.objects.filter(actor=carol, action="case.read", object_id=case_a.pk).exists()


@pytest.mark.django_db
def test_the_case_forms_write_the_timeline(as_user, carol, case_a):
    client = as_user(carol)
    url = lambda name: reverse(name, args=[case_a.pk])  # noqa: E731
    client.post(url("case-acknowledge"))
    client.post(url("case-note"), {"note-text": "Spoke with the tutor."})
    client.post(url("case-note"), {"note-text": "Write to dad@example.org"})
    client.post(url("case-action"), {"action-action_type": "talk_with_family"})
    client.post(url("case-status"), {"status-status": "in_progress"})
    # The outcome is asked for: without it nothing is resolved.
    client.post(url("case-resolve"), {"resolve-reason": "Attending again for six weeks."})
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.IN_PROGRESS
    client.post(
        url("case-resolve"),
        {"resolve-reason": "Attending again for six weeks.", "resolve-outcome": "no_concern"},
    )
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.RESOLVED and case_a.resolved_by == carol
    assert [(o.kind, o.case_id) for o in case_a.student.outcomes.all()] == [
        ("no_concern", case_a.pk)
    ]
    events = list(CaseEvent.objects.filter(case=case_a).order_by("at", "id"))
    assert [(e.kind, e.to_status or e.action_type or e.text) for e in events] == [
        (EventKind.STATUS_CHANGE, "acknowledged"),
        (EventKind.NOTE, "Spoke with the tutor."),
        (EventKind.ACTION, "talk_with_family"),
        (EventKind.STATUS_CHANGE, "in_progress"),
        (EventKind.STATUS_CHANGE, "resolved"),
    ]
    page = client.get(url("case-detail")).content.decode()
    assert "Spoke with the tutor." in page and "dad@example.org" not in page
    assert url("case-note") not in page  # a resolved case offers no forms


@pytest.mark.django_db
def test_weekly_series_counts_signs_by_category_and_the_attendance_rate(school_a, student_a, alice):
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday() + 21)  # three weeks back
    ObservationFactory(
        student=student_a, recorded_by=alice, observed_on=monday, signs=["ISOLATION", "LATE"]
    )
    ObservationFactory(
        student=student_a, recorded_by=alice, observed_on=monday + dt.timedelta(days=8)
    )
    withdrawn = ObservationFactory(student=student_a, recorded_by=alice, observed_on=monday)
    withdrawn.withdrawn_at = timezone.now()
    withdrawn.save()
    AttendanceRecordFactory(student=student_a, date=monday, session="AM")
    AttendanceRecordFactory(student=student_a, date=monday, session="PM")
    AttendanceRecordFactory(student=student_a, date=monday + dt.timedelta(days=1), status="late")
    weeks = weekly_series(
        school=school_a, start=monday, end=monday + dt.timedelta(days=11), student=student_a
    )
    assert [w.starts_on for w in weeks] == [monday, monday + dt.timedelta(days=7)]
    first, second = weeks
    assert (first.signs["withdrawal"], first.signs["sleep"]) == (1, 1)
    assert second.signs["withdrawal"] == 1
    # 5 school days x 2 sessions, 2 missed (late is present): 80 %. Week 2: nothing missed.
    assert (first.possible, first.absent, first.rate) == (10, 2, 80.0)
    assert second.rate == 100.0


@pytest.mark.django_db
def test_overview_counts_cases_by_stage_and_status(as_user, adam, school_a):
    for i, (status, stage) in enumerate(
        [("new", "watch"), ("new", "watch"), ("monitoring", "persistent")]
    ):
        FlaggedCaseFactory(
            student=StudentFactory(school=school_a, code=f"S-080{i}"), status=status, stage=stage
        )
    context = as_user(adam).get(reverse("overview")).context
    cells = {row["status"].value: row["cells"] for row in context["table"]}
    assert cells["new"] == [2, 0, 0]
    assert cells["monitoring"] == [0, 0, 1]
    assert context["open_total"] == 3


@pytest.mark.django_db
def test_the_bell_counts_unread_notices_and_opening_the_case_reads_them(as_user, carol, case_a):
    NoticeFactory(user=carol, case=case_a, text=f"New case {case_a.student.code}")
    client = as_user(carol)
    # (The notices page itself marks them read: the bell is read on the cases page here.)
    assert client.get(reverse("cases")).context["notices_unread"] == 1
    client.get(reverse("case-detail", args=[case_a.pk]))
    assert client.get(reverse("cases")).context["notices_unread"] == 0
    assert Notice.objects.get().read_at is not None


@pytest.mark.django_db
def test_the_overview_charts_the_whole_school_signs_and_attendance(as_user, carol, alice, school_a):
    # Two students at the school and one who has left; the last full school week before today.
    today = school_a.today()
    monday = today - dt.timedelta(days=today.weekday() + 7)
    one, two = (StudentFactory(school=school_a, code=c) for c in ("S-0901", "S-0902"))
    gone = StudentFactory(school=school_a, code="S-0903", is_active=False)
    ObservationFactory(student=one, recorded_by=alice, observed_on=monday, signs=["ISOLATION"])
    ObservationFactory(
        student=two, recorded_by=alice, observed_on=monday + dt.timedelta(days=2), signs=["LATE"]
    )
    AttendanceRecordFactory(student=one, date=monday, session="AM")  # absent
    AttendanceRecordFactory(student=two, date=monday, session="PM")  # absent
    AttendanceRecordFactory(student=two, date=monday + dt.timedelta(days=1), status="late")
    AttendanceRecordFactory(student=gone, date=monday, session="AM")  # left: not counted

    context = as_user(carol).get(reverse("overview")).context

    (week,) = [w for w in context["weeks"] if w.starts_on == monday]
    assert (week.signs["withdrawal"], week.signs["sleep"]) == (1, 1)
    # 2 students x 5 school days x 2 sessions = 20 possible, 2 missed (late is present): 90 %.
    assert (week.possible, week.absent, week.rate) == (20, 2, 90.0)
    assert context["chart"]["bars"], "the chart draws the week's signs"


@pytest.mark.django_db
def test_the_case_forms_kept_from_an_earlier_page_are_in_each_readers_language(
    as_user, carol, case_a
):
    """The unbound form fields are rendered once a process per language: an English page
    first must not give the next reader in another language its English fields."""
    url = reverse("case-detail", args=[case_a.pk])
    english = as_user(carol).get(url).content.decode()
    assert "Action taken" in english and "What was the outcome?" in english
    for lang, action, outcome in (
        ("it", "Intervento svolto", "Qual è stato l'esito?"),
        ("ja", "行った対応", "結果はどうでしたか？"),
    ):
        page = as_user(speaking(carol, lang)).get(url).content.decode()
        assert action in page and outcome.replace("'", "&#x27;") in page
        assert "Action taken" not in page


@pytest.mark.django_db
def test_the_kept_case_fields_follow_each_cases_status_owner_and_review_date(
    as_user, carol, school_a
):
    """The status, owner and review fields are rendered once a process for each value they
    start on (and each list of counsellors): a case must not show another's."""
    first = FlaggedCaseFactory(
        student=StudentFactory(school=school_a, code="S-0001"),
        status="new",
        owner=None,
        review_on=dt.date(2026, 12, 10),
    )
    second = FlaggedCaseFactory(
        student=StudentFactory(school=school_a, code="S-0002"),
        status="monitoring",
        owner=carol,
        review_on=None,
    )
    client = as_user(carol)

    def fields(case) -> str:
        html = client.get(reverse("case-detail", args=[case.pk])).content.decode()
        return html[html.index('id="work-h"') : html.index('id="timeline-h"')]

    one, two = fields(first), fields(second)
    # As a date input shows a date: ISO, whatever the reader's language.
    assert 'name="review-review_on" value="2026-12-10"' in one
    assert 'name="review-review_on" value="' not in two
    assert f'value="{carol.pk}" selected' in two and f'value="{carol.pk}" selected' not in one
    assert 'value="acknowledged"' in one and 'value="acknowledged"' not in two
    # A counsellor who joins is offered at once.
    _newcomer = UserFactory(email="nina@north.test")
    MembershipFactory(user=_newcomer, school=school_a, role="counsellor")
    assert "nina@north.test" in fields(second)
