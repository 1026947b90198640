"""Working a case: valid status steps only, compare-and-swap, an append-only timeline with
author and time, screened text, and an audit entry for each change."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from alerts.models import ActionType, Case, CaseEvent, CaseStatus, EventKind
from alerts.services import (
    TRANSITIONS,
    CaseConflict,
    case_acknowledge,
    case_add_note,
    case_record_action,
    case_resolve,
    case_set_status,
)
from core.models import AuditEvent
from tests.factories import CaseFactory

from .conftest import ON

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(student):
    return CaseFactory(student=student, evidence_on=ON)


def test_the_documented_path_new_to_resolved(case, carol):
    case_acknowledge(case=case, by=carol)
    case_set_status(case=case, to_status=CaseStatus.IN_PROGRESS, by=carol)
    case_set_status(case=case, to_status=CaseStatus.MONITORING, by=carol)
    case_resolve(case=case, by=carol, reason="Attending again, settled", outcome="no_concern")
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED
    assert case.acknowledged_by == carol and case.resolved_by == carol
    assert case.resolution_reason == "Attending again, settled"
    steps = list(
        case.events.filter(kind=EventKind.STATUS_CHANGE).values_list("from_status", "to_status")
    )
    assert steps == [
        ("new", "acknowledged"),
        ("acknowledged", "in_progress"),
        ("in_progress", "monitoring"),
        ("monitoring", "resolved"),
    ]
    assert all(e.author == carol and e.at for e in case.events.all())
    audited = AuditEvent.objects.filter(object_id=case.pk, action="case.status")
    assert audited.count() == 4


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (start, target)
        for start in CaseStatus.values
        for target in CaseStatus.values
        if target not in TRANSITIONS[start]
    ],
)
def test_an_invalid_step_is_refused_and_changes_nothing(case, carol, start, target):
    Case.objects.filter(pk=case.pk).update(
        status=start,
        resolved_at=case.opened_at if start == CaseStatus.RESOLVED else None,
    )
    case.refresh_from_db()
    with pytest.raises(ValidationError):
        case_set_status(case=case, to_status=target, by=carol, text="x")
    case.refresh_from_db()
    assert case.status == start
    assert not CaseEvent.objects.filter(case=case).exists()


def test_a_stale_case_is_a_conflict_not_a_silent_overwrite(case, carol, adam):
    stale = Case.objects.get(pk=case.pk)
    case_acknowledge(case=case, by=carol)
    with pytest.raises(CaseConflict):
        case_set_status(case=stale, to_status=CaseStatus.IN_PROGRESS, by=adam)
    case.refresh_from_db()
    assert case.status == CaseStatus.ACKNOWLEDGED
    assert case.events.count() == 1


def test_acknowledging_twice_is_not_an_error(case, carol):
    case_acknowledge(case=case, by=carol)
    case_acknowledge(case=case, by=carol)
    assert case.events.count() == 1


def test_resolving_needs_a_reason(case, carol):
    with pytest.raises(ValidationError):
        case_resolve(case=case, by=carol, reason="  ", outcome="no_concern")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.NEW


def test_notes_are_screened_for_identifiers(case, carol):
    with pytest.raises(ValidationError, match="e-mail address"):
        case_add_note(case=case, by=carol, text="Mum asked to write to parent@example.org")
    with pytest.raises(ValidationError, match="phone number"):
        case_add_note(case=case, by=carol, text="Call home on 07700 900 123")
    assert not case.events.exists()
    event = case_add_note(case=case, by=carol, text="Spoke briefly at lunch; calmer today.")
    assert (event.kind, event.author, event.text) == (EventKind.NOTE, carol, event.text)
    assert AuditEvent.objects.filter(action="case.note", object_id=case.pk).count() == 1
    # The audit entry never carries the text.
    assert "calmer" not in str(AuditEvent.objects.get(action="case.note").detail)


def test_actions_are_the_documented_responses(case, carol):
    for action in ActionType.values:
        case_record_action(case=case, by=carol, action_type=action, text="Arranged")
    assert sorted(case.events.values_list("action_type", flat=True)) == sorted(ActionType.values)
    with pytest.raises(ValidationError):
        case_record_action(case=case, by=carol, action_type="detention")
    with pytest.raises(ValidationError):
        case_record_action(case=case, by=carol, action_type=ActionType.OTHER, text="")
