"""The student page (/students/<id>/): who may open it, the audit entry, the "find a student"
box, the marks and observations of the span, and a fixed number of queries. Its attendance
per school week is in test_student_attendance.py."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from schools.models import (
    AttendanceStatus,
)
from tests.factories import (
    AttendanceRecordFactory,
    FlaggedCaseFactory,
    ObservationFactory,
    StudentFactory,
)

from .pages import student_page
from .test_csp import _check

D = dt.date
U, LATE = AttendanceStatus.UNAUTHORISED_ABSENCE, AttendanceStatus.LATE


# --- who may open it ------------------------------------------------------------------------


@pytest.mark.django_db
def test_counsellor_and_admin_of_the_school_see_the_page_teacher_and_other_school_do_not(
    as_user, alice, carol, adam, cora, bella, student_a, student_b
):
    assert student_page(as_user(carol), student_a).status_code == 200
    assert student_page(as_user(adam), student_a).status_code == 200
    assert student_page(as_user(bella), student_b).status_code == 200
    # A teacher of the student's school: no casework role, no page.
    assert student_page(as_user(alice), student_a).status_code == 404
    # The same code at another school is another student, out of reach.
    assert student_b.code == student_a.code
    assert student_page(as_user(carol), student_b).status_code == 404
    assert student_page(as_user(cora), student_a).status_code == 404
    assert student_page(as_user(bella), student_a).status_code == 404


@pytest.mark.django_db
def test_reading_the_page_is_audited(as_user, carol, student_a):
    before = AuditEvent.objects.filter(action="student.read").count()
    student_page(as_user(carol), student_a, until="2026-03-02", weeks=4)
    event = AuditEvent.objects.filter(action="student.read").latest("at")
    assert AuditEvent.objects.filter(action="student.read").count() == before + 1
    assert (event.actor_id, event.object_id, event.school_id) == (
        carol.pk,
        student_a.pk,
        student_a.school_id,
    )
    assert event.object_type == "schools.student"
    assert event.detail == {"until": "2026-03-02", "weeks": 4}


@pytest.mark.django_db
def test_a_refused_read_is_not_audited(as_user, alice, carol, student_b):
    student_page(as_user(alice), student_b)
    student_page(as_user(carol), student_b)
    assert not AuditEvent.objects.filter(action="student.read").exists()


@pytest.mark.django_db
def test_find_a_student_by_code(as_user, alice, carol, adam, school_a, student_a, student_b):
    other = StudentFactory(school=school_a, code="S-0420")
    find = reverse("student-find")
    # Exact code: straight to the page.
    response = as_user(carol).get(find, {"code": " s-0042 "})
    assert response.status_code == 302
    assert response["Location"] == reverse("student-detail", args=[student_a.pk])
    # Part of a code: the matches of the user's own school only.
    html = as_user(adam).get(find, {"code": "042"}).content.decode()
    assert reverse("student-detail", args=[student_a.pk]) in html
    assert reverse("student-detail", args=[other.pk]) in html
    assert reverse("student-detail", args=[student_b.pk]) not in html
    assert (
        'data-testid="find-none"' in as_user(carol).get(find, {"code": "S-9999"}).content.decode()
    )
    assert as_user(alice).get(find, {"code": "S-0042"}).status_code == 404
    # The box is on the cases page, labelled.
    cases = as_user(carol).get(reverse("cases")).content.decode()
    assert 'action="/students/find/"' in cases
    assert '<label for="id_find_code">Find a student by code</label>' in cases


@pytest.mark.django_db
def test_links_from_the_case_page_and_the_admin_students_page(as_user, carol, adam, student_a):
    case = FlaggedCaseFactory(student=student_a)
    link = reverse("student-detail", args=[student_a.pk])
    assert link in as_user(carol).get(reverse("case-detail", args=[case.pk])).content.decode()
    assert link in as_user(adam).get(reverse("students")).content.decode()


@pytest.mark.django_db
def test_the_page_is_csp_clean_and_every_field_labelled(as_user, carol, student_a):
    StudentFactory(school=student_a.school, code="S-0043")  # two matches: the list is shown
    ObservationFactory(student=student_a, observed_on=timezone.localdate() - dt.timedelta(days=2))
    for url in (
        reverse("student-detail", args=[student_a.pk]),
        reverse("student-find") + "?code=S-00",
    ):
        response = as_user(carol).get(url)
        assert response.status_code == 200
        html = response.content.decode()
        _check(html, url)
        labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
        fields = [
            t
            for t in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html)
            if not re.search(r'type="(?:hidden|submit)"', t)
        ]
        assert fields
        for tag in fields:
            field_id = re.search(r'\bid="([^"]+)"', tag)
            assert field_id and field_id.group(1) in labelled, (url, tag)


@pytest.mark.django_db
def test_the_span_defaults_to_twelve_school_weeks_up_to_today(as_user, carol, student_a):
    # school_a's one term runs from Sep 2025 to Jul 2027 without holidays: twelve whole weeks.
    today = student_a.school.today()
    response = student_page(as_user(carol), student_a)
    attendance = response.context["attendance"]
    assert len(attendance.weeks) == 12
    assert attendance.end == today
    assert attendance.start == today - dt.timedelta(days=today.weekday(), weeks=11)
    # A bad value is reported beside its field and the defaults are used.
    response = student_page(as_user(carol), student_a, until="2025-13-45", weeks="0")
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"until", "weeks"}
    assert len(response.context["attendance"].weeks) == 12


@pytest.mark.django_db
def test_observations_of_the_span_with_signs_observer_and_withdrawn_marked(
    as_user, carol, alice, student_a
):
    ObservationFactory(
        student=student_a,
        observed_on=D(2026, 2, 24),
        recorded_by=alice,
        signs=["ISOLATION", "REFUSES_CONTACT"],
    )
    gone = ObservationFactory(student=student_a, observed_on=D(2026, 2, 25), recorded_by=alice)
    gone.withdrawn_at = timezone.now()
    gone.save(update_fields=["withdrawn_at"])
    ObservationFactory(student=student_a, observed_on=D(2025, 12, 1), recorded_by=alice)  # before
    html = student_page(as_user(carol), student_a, until="2026-02-27", weeks=2).content.decode()
    items = re.findall(
        r'<li class="(obs[^"]*)" data-testid="observation">(.*?)(?=<li class="obs|</section>)',
        html,
        re.S,
    )
    assert [cls for cls, _ in items] == ["obs withdrawn", "obs"]
    (_, newest), (_, older) = items
    assert "Wed 25 Feb 2026" in newest and "does not count" in newest
    assert "Tue 24 Feb 2026" in older and f"seen by {alice}" in older
    assert "does not count" not in older
    assert "Alone at breaks" in older and "Refuses contact" in older


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_marks_and_observations(as_user, carol, alice, school_a):
    few, many = (
        StudentFactory(school=school_a, code="S-1001"),
        StudentFactory(school=school_a, code="S-1002"),
    )
    days = [
        D(2026, 1, 5) + dt.timedelta(days=i)
        for i in range(60)
        if (D(2026, 1, 5) + dt.timedelta(days=i)).weekday() < 5
    ]
    AttendanceRecordFactory(student=few, date=days[0], session="AM", status=U)
    ObservationFactory(student=few, observed_on=days[0], recorded_by=alice)
    for day in days:
        AttendanceRecordFactory(student=many, date=day, session="AM", status=U)
        AttendanceRecordFactory(student=many, date=day, session="PM", status=LATE)
    for day in days[:15]:
        ObservationFactory(
            student=many, observed_on=day, recorded_by=alice, signs=["ISOLATION", "REFUSES_CONTACT"]
        )
    client = as_user(carol)
    counts = []
    for student in (few, many):
        with CaptureQueriesContext(connection) as ctx:
            response = student_page(client, student, until="2026-03-27", weeks=12)
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert len(response.context["attendance"].marks) == 2 * len(days)
    assert len(response.context["observations"]) == 15
    assert counts[0] == counts[1], counts
