"""Following a case up: owner, review date, reopening by hand, a concern raised by hand."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from alerts.models import Case, CaseOrigin, CaseStatus, EventKind, Notification
from alerts.services import case_resolve, evaluation_run
from alerts.services.followup import (
    case_default_owner,
    case_open_by_hand,
    case_reopen_by_hand,
    case_set_owner,
    case_set_review,
)
from core.models import AuditEvent
from schools.models import Membership, Role
from tests.factories import CaseFactory, StudentFactory, UserFactory

from .conftest import ON, weeks, withdrawal_week

# Friday 27 March 2026, mid-morning in London: ON, the scenarios' evaluation date.
NOW = dt.datetime(2026, 3, 27, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def dora(north):
    user = UserFactory(email="dora@north.test")
    Membership.objects.create(user=user, school=north, role=Role.COUNSELLOR)
    return user


@pytest.fixture
def case(student, carol):
    return CaseFactory(student=student, owner=carol, evidence_on=ON - dt.timedelta(days=7))


@pytest.mark.django_db
def test_the_default_owner_is_the_assigned_counsellor_then_the_designated_one(
    north, carol, dora, adam
):
    assigned = StudentFactory(school=north, code="S-0201", assigned_counsellor=dora)
    plain = StudentFactory(school=north, code="S-0202")
    assert case_default_owner(student=assigned) == dora
    assert case_default_owner(student=plain) == carol
    # A designated counsellor who left the counselling role owns nothing.
    Membership.objects.filter(user=carol, school=north).update(role=Role.TEACHER)
    assert case_default_owner(student=plain) is None


@pytest.mark.django_db
def test_the_owner_changes_to_a_counsellor_of_the_school_with_a_timeline_entry(
    case, carol, dora, adam
):
    case_set_owner(case=case, owner=dora, by=adam)
    case.refresh_from_db()
    assert case.owner == dora
    event = case.events.get(kind=EventKind.OWNER_CHANGE)
    assert (event.author, event.detail) == (adam, {"from": carol.pk, "to": dora.pk})
    assert AuditEvent.objects.filter(action="case.owner", object_id=case.pk, actor=adam).exists()


@pytest.mark.django_db
def test_an_admin_or_another_schools_counsellor_cannot_own_a_case(case, carol, adam, cora):
    for user in (adam, cora):
        with pytest.raises(ValidationError, match="counsellor of this school"):
            case_set_owner(case=case, owner=user, by=carol)
    case.refresh_from_db()
    assert case.owner == carol
    assert not case.events.filter(kind=EventKind.OWNER_CHANGE).exists()


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_review_date_is_today_or_later_and_goes_on_the_timeline(case, carol):
    with pytest.raises(ValidationError, match="today or a later date"):
        case_set_review(case=case, review_on=ON - dt.timedelta(days=1), by=carol)
    case_set_review(case=case, review_on=ON + dt.timedelta(days=7), by=carol)
    case.refresh_from_db()
    assert case.review_on == dt.date(2026, 4, 3)
    event = case.events.get(kind=EventKind.REVIEW_SET)
    assert event.detail == {"from": None, "to": "2026-04-03"}
    case_set_review(case=case, review_on=None, by=carol)
    case.refresh_from_db()
    assert case.review_on is None


@pytest.mark.django_db
def test_a_resolved_case_has_no_review_date(case, carol):
    case_resolve(case=case, by=carol, reason="Settled back in.", outcome="no_concern")
    with pytest.raises(ValidationError, match="reopen it"):
        case_set_review(case=case, review_on=dt.date(2030, 1, 1), by=carol)


@pytest.mark.django_db
def test_a_counsellor_reopens_a_resolved_case_with_a_reason(case, carol):
    case_resolve(case=case, by=carol, reason="Settled back in.", outcome="no_concern")
    with pytest.raises(ValidationError, match="why the case is reopened"):
        case_reopen_by_hand(case=case, by=carol, reason="   ")
    case_reopen_by_hand(case=case, by=carol, reason="Family reports the pattern is back.")
    case.refresh_from_db()
    assert (case.status, case.opened_count, case.resolved_at) == (CaseStatus.IN_PROGRESS, 2, None)
    assert case.acknowledged_by == carol
    event = case.events.get(kind=EventKind.REOPENED)
    assert (event.author, event.text) == (carol, "Family reports the pattern is back.")
    assert (event.from_status, event.to_status) == (CaseStatus.RESOLVED, CaseStatus.IN_PROGRESS)
    with pytest.raises(ValidationError, match="already open"):
        case_reopen_by_hand(case=case, by=carol, reason="Again.")


@pytest.mark.django_db
def test_reopening_is_refused_while_the_student_has_another_open_case(case, carol, student):
    case_resolve(case=case, by=carol, reason="Settled back in.", outcome="no_concern")
    case_open_by_hand(student=student, by=carol, reason="Says they have stopped eating lunch.")
    with pytest.raises(ValidationError, match="already has an open case"):
        case_reopen_by_hand(case=case, by=carol, reason="Back again.")
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED


@pytest.mark.django_db
def test_a_note_with_contact_details_cannot_be_the_reason(case, carol):
    case_resolve(case=case, by=carol, reason="Settled back in.", outcome="no_concern")
    with pytest.raises(ValidationError):
        case_reopen_by_hand(case=case, by=carol, reason="Call mum on 07700 900123")
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_counsellor_raises_a_concern_by_hand(north, student, carol):
    case = case_open_by_hand(
        student=student, by=carol, reason="Told me they dread the bus.", severity="high"
    )
    case.refresh_from_db()
    assert (case.origin, case.owner, case.severity) == (CaseOrigin.PERSON, carol, "high")
    # Raised and owned by the same counsellor: already acknowledged, nobody to tell.
    assert case.status == CaseStatus.ACKNOWLEDGED
    assert not Notification.objects.filter(case=case).exists()
    event = case.events.get()
    assert (event.kind, event.author, event.text) == (
        EventKind.OPENED,
        carol,
        "Told me they dread the bus.",
    )
    with pytest.raises(ValidationError, match="already has an open case"):
        case_open_by_hand(student=student, by=carol, reason="Again.")
    assert Case.objects.filter(student=student).count() == 1


@pytest.mark.django_db
def test_a_concern_raised_by_an_admin_goes_to_the_counsellor_as_new(north, student, carol, adam):
    case = case_open_by_hand(student=student, by=adam, reason="Seen crying at the gate.")
    assert (case.owner, case.status) == (carol, CaseStatus.NEW)
    assert case.escalate_at is not None
    assert list(Notification.objects.filter(case=case).values_list("recipient", flat=True)) == [
        carol.pk
    ]


@pytest.mark.django_db
def test_a_rule_that_fires_later_updates_the_concern_raised_by_hand(
    north, student, alice, tom, carol
):
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC), tick=False):
        raised = case_open_by_hand(student=student, by=carol, reason="Quiet since half-term.")
    for week in weeks(north, count=3):
        withdrawal_week(student, week, alice, tom)
    summary = evaluation_run(school=north, on_date=ON)
    assert summary.opened == [] and summary.updated == ["S-0101"]
    (case,) = Case.objects.filter(student=student)
    assert case.pk == raised.pk
    assert (case.origin, case.status) == (CaseOrigin.PERSON, CaseStatus.ACKNOWLEDGED)
    assert case.evidence_rows.count() == 6
    # The case dates from the day the concern was raised; its stage is measured from the
    # first school day of the rule's pattern (Monday 9 March).
    assert case.first_evidence_on == dt.date(2026, 3, 2)
    assert case.persisted_since == dt.date(2026, 3, 9)
    assert list(case.fired_rules.values_list("rule__key", flat=True)) == ["persistent_withdrawal"]


@pytest.mark.django_db
def test_a_case_a_rule_opens_is_owned_by_the_students_counsellor(north, alice, tom, carol, dora):
    mine = StudentFactory(school=north, code="S-0301", assigned_counsellor=dora)
    plain = StudentFactory(school=north, code="S-0302")
    for student in (mine, plain):
        for week in weeks(north, count=3):
            withdrawal_week(student, week, alice, tom)
    evaluation_run(school=north, on_date=ON)
    owners = dict(Case.objects.values_list("student__code", "owner__email"))
    assert owners == {"S-0301": "dora@north.test", "S-0302": "carol@north.test"}


@pytest.mark.django_db
def test_a_concern_no_rule_fired_for_is_never_suggested_for_resolution(north, student, carol):
    with time_machine.travel(dt.datetime(2026, 1, 12, 10, 0, tzinfo=dt.UTC), tick=False):
        case = case_open_by_hand(student=student, by=carol, reason="Quiet since half-term.")
    evaluation_run(school=north, on_date=ON)  # ten quiet school weeks later
    case.refresh_from_db()
    assert case.resolution_suggested_at is None
    assert not case.events.filter(kind=EventKind.RESOLUTION_SUGGESTED).exists()
