"""The follow-up pages: the cases list's owner, review and search filters; its CSV export
(the same rows as the page, audited); the overview's CSV; the chronology PDF read back with
pypdf; owner, review and reopen forms; the status list offering only allowed steps; a concern
raised by hand."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from alerts.models import Case, CaseEvent, CaseOrigin, CaseStatus, EventKind
from alerts.services import case_add_note
from alerts.services.followup import case_set_review
from core.models import AuditEvent
from schools.models import Membership, Role
from tests.factories import FlaggedCaseFactory, StudentFactory, UserFactory

NOW = dt.datetime(2026, 11, 18, 10, 0, tzinfo=dt.UTC)  # a Wednesday in term


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def dora(school_a):
    user = UserFactory(email="dora@north.test")
    Membership.objects.create(user=user, school=school_a, role=Role.COUNSELLOR)
    return user


def _codes(response) -> list[str]:
    return [c.student.code for c in response.context["cases"]]


def _rows(response) -> list[dict]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode())))


@pytest.mark.django_db
def test_the_list_filters_by_mine_nobody_and_part_of_a_code(as_user, carol, dora, school_a):
    FlaggedCaseFactory(student=StudentFactory(school=school_a, code="S-0101"), owner=carol)
    FlaggedCaseFactory(student=StudentFactory(school=school_a, code="S-0102"), owner=dora)
    FlaggedCaseFactory(student=StudentFactory(school=school_a, code="T-0201"))
    client = as_user(carol)
    assert _codes(client.get(reverse("cases"), {"owner": "mine"})) == ["S-0101"]
    assert _codes(client.get(reverse("cases"), {"owner": "none"})) == ["T-0201"]
    assert sorted(_codes(client.get(reverse("cases"), {"code": "s-01"}))) == ["S-0101", "S-0102"]
    page = client.get(reverse("cases")).content.decode()
    assert "dora@north.test" in page and "nobody yet" in page


@pytest.mark.django_db
def test_an_overdue_review_stands_out_in_the_list(as_user, carol, school_a):
    late = FlaggedCaseFactory(student=StudentFactory(school=school_a, code="S-0101"), owner=carol)
    Case.objects.filter(pk=late.pk).update(review_on=dt.date(2026, 11, 16))
    soon = FlaggedCaseFactory(student=StudentFactory(school=school_a, code="S-0102"), owner=carol)
    case_set_review(case=soon, review_on=dt.date(2026, 11, 20), by=carol)
    response = as_user(carol).get(reverse("cases"))
    rows = {c.student.code: c for c in response.context["cases"]}
    assert rows["S-0101"].review_overdue and not rows["S-0102"].review_overdue
    html = response.content.decode()
    assert html.count('class="overdue"') == 1
    assert "overdue since 16 Nov" in html
    # Last activity: the latest timeline entry.
    assert rows["S-0102"].last_activity == NOW


@pytest.mark.django_db
def test_the_csv_holds_the_filtered_rows_and_is_audited(as_user, carol, dora, school_a, case_b):
    FlaggedCaseFactory(
        student=StudentFactory(school=school_a, code="S-0101", year_group=10), owner=carol
    )
    FlaggedCaseFactory(student=StudentFactory(school=school_a, code="S-0102"), owner=dora)
    FlaggedCaseFactory(
        student=StudentFactory(school=school_a, code="S-0103"),
        status="resolved",
        resolved_at=timezone.now(),
        owner=carol,
    )
    client = as_user(carol)
    response = client.get(reverse("cases-export"), {"owner": "mine"})
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    rows = _rows(response)
    assert [(r["student"], r["owner"], r["year_group"]) for r in rows] == [
        ("S-0101", "carol@north.test", "10")
    ]
    assert rows[0]["rules"] == "Persistent withdrawal"
    # Another school's case (case_b, S-0042 at south) is never in the file.
    everything = _rows(client.get(reverse("cases-export"), {"status": "all"}))
    assert sorted(r["student"] for r in everything) == ["S-0101", "S-0102", "S-0103"]
    audit = AuditEvent.objects.filter(action="cases.export", actor=carol).order_by("id")
    assert [a.detail for a in audit] == [
        {"format": "csv", "filters": {"owner": "mine"}, "rows": 1},
        {"format": "csv", "filters": {"status": "all"}, "rows": 3},
    ]
    # The page links to the export with the filters in force.
    page = client.get(reverse("cases"), {"owner": "mine"}).content.decode()
    assert 'href="/cases/export.csv?owner=mine"' in page


@pytest.mark.django_db
def test_a_cell_that_would_be_a_formula_is_quoted(as_user, carol, school_a):
    case = FlaggedCaseFactory(student=StudentFactory(school=school_a, code="S-0101"))
    case.fired_rules.update(rule_name="=HYPERLINK(1)")
    (row,) = _rows(as_user(carol).get(reverse("cases-export")))
    assert row["rules"] == "'=HYPERLINK(1)"


@pytest.mark.django_db
def test_the_overview_csv(as_user, adam, school_a, carol):
    FlaggedCaseFactory(student=StudentFactory(school=school_a, code="S-0101"))
    FlaggedCaseFactory(
        student=StudentFactory(school=school_a, code="S-0102"),
        status="monitoring",
        stage="persistent",
    )
    response = as_user(adam).get(reverse("overview-export"))
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines[1] == [
        "status",
        "Watch",
        "Pre-withdrawal (3 months)",
        "Persistent (6 months)",
        "all stages",
    ]
    by_status = {line[0]: line[1:] for line in lines[2:8]}
    assert by_status["New"] == ["1", "0", "0", "1"]
    assert by_status["Monitoring"] == ["0", "0", "1", "1"]
    assert by_status["all statuses"] == ["1", "0", "1", "2"]
    assert "school week starting" in lines[9][0]
    assert AuditEvent.objects.filter(action="overview.export", actor=adam).count() == 1


@pytest.mark.django_db
def test_a_teacher_or_another_school_gets_no_export(as_user, alice, cora, case_a):
    assert as_user(alice).get(reverse("cases-export")).status_code == 404
    assert as_user(alice).get(reverse("overview-export")).status_code == 404
    assert as_user(alice).get(reverse("case-pdf", args=[case_a.pk])).status_code == 404
    assert as_user(cora).get(reverse("case-pdf", args=[case_a.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action__endswith="export").exists()


@pytest.mark.django_db
def test_the_chronology_pdf_reads_back_with_its_header_timeline_and_footer(
    as_user, carol, school_a, student_a
):
    student_a.year_group = 8
    student_a.save()
    case = FlaggedCaseFactory(student=student_a, owner=carol)
    case_add_note(case=case, by=carol, text="Met at break; agreed a weekly check-in.")
    response = as_user(carol).get(reverse("case-pdf", args=[case.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="chronology-S-0042-2026-11-18.pdf"' in response["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in (
        "North Academy",
        "Case chronology: S-0042",
        "Year group",
        "carol@north.test, Wed 18 Nov 2026 10:00",
        "Persistent withdrawal",
        "Met at break; agreed a weekly check-in.",
        "Sensitive: child-welfare data",
    ):
        assert expected in " ".join(text.split()), expected
    # The footer is on every page.
    footers = [p.extract_text() for p in reader.pages]
    assert all("Sensitive: child-welfare data" in " ".join(t.split()) for t in footers)
    (audit,) = AuditEvent.objects.filter(action="case.export", actor=carol)
    assert (audit.object_id, audit.detail["format"]) == (case.pk, "pdf")


@pytest.mark.django_db
def test_the_owner_and_review_forms(as_user, carol, dora, case_a):
    client = as_user(carol)
    response = client.post(
        reverse("case-owner", args=[case_a.pk]), {"owner-owner": dora.pk}, follow=True
    )
    assert "dora@north.test now owns the case." in response.content.decode()
    case_a.refresh_from_db()
    assert case_a.owner == dora
    response = client.post(
        reverse("case-review", args=[case_a.pk]), {"review-review_on": "2026-11-10"}, follow=True
    )
    assert "Choose today or a later date" in response.content.decode()
    client.post(reverse("case-review", args=[case_a.pk]), {"review-review_on": "2026-11-25"})
    case_a.refresh_from_db()
    assert case_a.review_on == dt.date(2026, 11, 25)
    kinds = list(case_a.events.values_list("kind", flat=True))
    assert kinds == [EventKind.OWNER_CHANGE, EventKind.REVIEW_SET]
    timeline = client.get(reverse("case-detail", args=[case_a.pk])).content.decode()
    assert "Owner: nobody → dora@north.test" in timeline
    assert "Review date set: Wed 25 Nov 2026" in timeline


@pytest.mark.django_db
def test_a_teacher_cannot_change_an_owner(as_user, alice, carol, case_a):
    response = as_user(alice).post(
        reverse("case-owner", args=[case_a.pk]), {"owner-owner": carol.pk}
    )
    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "offered"),
    [
        ("new", ["acknowledged", "in_progress"]),
        ("acknowledged", ["in_progress", "monitoring"]),
        ("in_progress", ["monitoring"]),
        ("monitoring", ["in_progress"]),
    ],
)
def test_the_status_list_offers_only_allowed_steps(as_user, carol, student_a, status, offered):
    case = FlaggedCaseFactory(student=student_a, status=status)
    form = as_user(carol).get(reverse("case-detail", args=[case.pk])).context["status_form"]
    assert [v for v, _label in form.fields["status"].choices] == offered


@pytest.mark.django_db
def test_reopening_from_the_case_page(as_user, carol, student_a):
    case = FlaggedCaseFactory(student=student_a, status="resolved", resolved_at=timezone.now())
    client = as_user(carol)
    page = client.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert "Reopen the case" in page and "Change the status" not in page
    response = client.post(
        reverse("case-reopen", args=[case.pk]),
        {"reopen-reason": "The family called: it is back."},
        follow=True,
    )
    assert "Reopened: the case is in progress again." in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS


@pytest.mark.django_db
def test_a_concern_raised_by_hand_from_the_page(as_user, carol, school_a, student_a, student_b):
    client = as_user(carol)
    response = client.post(
        reverse("concern-new"),
        {"code": "s-0042", "reason": "Said they dread coming in.", "severity": "high"},
    )
    case = Case.objects.get(student=student_a)
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    assert (case.origin, case.severity) == (CaseOrigin.PERSON, "high")
    assert not Case.objects.filter(student=student_b).exists()
    again = client.post(
        reverse("concern-new"), {"code": "S-0042", "reason": "Again.", "severity": "low"}
    )
    html = again.content.decode()
    assert "already has an open case" in html
    assert f'href="/cases/{case.pk}/"' in html
    unknown = client.post(
        reverse("concern-new"), {"code": "S-9999", "reason": "Unknown.", "severity": "low"}
    )
    assert "No current student of your school has this code." in unknown.content.decode()
    assert CaseEvent.objects.filter(kind=EventKind.OPENED).count() == 1


@pytest.mark.django_db
def test_the_student_page_links_to_open_and_closed_cases(as_user, carol, student_a):
    closed = FlaggedCaseFactory(student=student_a, status="resolved", resolved_at=timezone.now())
    client = as_user(carol)
    page = client.get(reverse("student-detail", args=[student_a.pk])).content.decode()
    assert f'href="/cases/{closed.pk}/"' in page and "Case resolved on 18 Nov 2026" in page
    assert f'href="/cases/new/?student={student_a.pk}"' in page
    current = FlaggedCaseFactory(student=student_a, status="acknowledged")
    page = client.get(reverse("student-detail", args=[student_a.pk])).content.decode()
    assert page.index(f'href="/cases/{current.pk}/"') < page.index(f'href="/cases/{closed.pk}/"')
    assert "Open case (Acknowledged)" in page
    assert "/cases/new/" not in page, "no second case while one is open"
    form = client.get(reverse("concern-new"), {"student": student_a.pk}).context["form"]
    assert form.initial == {"code": "S-0042"}


@pytest.mark.django_db
def test_the_owner_choices_are_the_schools_counsellors_and_a_teacher_is_refused(
    as_user, alice, carol, dora, case_a
):
    client = as_user(carol)
    page = client.get(reverse("case-detail", args=[case_a.pk])).content.decode()
    select = page[page.index('name="owner-owner"') :]
    select = select[: select.index("</select>")]
    assert "carol@north.test" in select and "dora@north.test" in select
    assert alice.email not in select
    client.post(reverse("case-owner", args=[case_a.pk]), {"owner-owner": alice.pk})
    case_a.refresh_from_db()
    assert case_a.owner is None
