from __future__ import annotations

import datetime as dt

import pytest

from alerts.models import CaseEvidence, CaseStatus
from alerts.retention import records_purge_expired
from schools.models import AttendanceRecord, Observation, ObservationSign
from tests.factories import (
    AttendanceRecordFactory,
    CaseEvidenceFactory,
    CaseFactory,
    ObservationFactory,
)

TODAY = dt.date(2026, 11, 20)
OLD = TODAY - dt.timedelta(days=800)
RECENT = TODAY - dt.timedelta(days=10)


@pytest.mark.django_db
def test_old_records_go_recent_ones_stay(student_a, alice):
    old_obs = ObservationFactory(student=student_a, observed_on=OLD, recorded_by=alice)
    recent_obs = ObservationFactory(student=student_a, observed_on=RECENT, recorded_by=alice)
    AttendanceRecordFactory(student=student_a, date=OLD)
    recent_mark = AttendanceRecordFactory(student=student_a, date=RECENT)

    result = records_purge_expired(today=TODAY, days=730)

    assert (result.observations, result.attendance) == (1, 1)
    assert list(Observation.objects.all()) == [recent_obs]
    assert list(AttendanceRecord.objects.all()) == [recent_mark]
    assert not ObservationSign.objects.filter(observation_id=old_obs.pk).exists()


@pytest.mark.django_db
def test_evidence_on_an_open_case_is_kept_and_on_a_resolved_case_is_not(student_a, school_a, alice):
    from tests.factories import StudentFactory

    other = StudentFactory(school=school_a, code="S-0099")
    kept = ObservationFactory(student=student_a, observed_on=OLD, recorded_by=alice)
    kept_mark = AttendanceRecordFactory(student=student_a, date=OLD)
    gone = ObservationFactory(student=other, observed_on=OLD, recorded_by=alice)
    open_case = CaseFactory(student=student_a, evidence_on=OLD)
    resolved_case = CaseFactory(
        student=other,
        evidence_on=OLD,
        status=CaseStatus.RESOLVED,
        resolved_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    )
    for case, obs in ((open_case, kept), (resolved_case, gone)):
        CaseEvidenceFactory(case=case, observation=obs)
    CaseEvidenceFactory(case=open_case, attendance=kept_mark)

    result = records_purge_expired(today=TODAY, days=730)

    assert (result.observations, result.attendance) == (1, 0)
    assert set(Observation.objects.values_list("pk", flat=True)) == {kept.pk}
    assert AttendanceRecord.objects.filter(pk=kept_mark.pk).exists()
    assert CaseEvidence.objects.filter(case=open_case).count() == 2


@pytest.mark.django_db
def test_running_the_purge_again_changes_nothing(student_a, alice):
    ObservationFactory(student=student_a, observed_on=OLD, recorded_by=alice)
    records_purge_expired(today=TODAY, days=730)
    again = records_purge_expired(today=TODAY, days=730)
    assert (again.observations, again.attendance) == (0, 0)


def test_the_purge_is_scheduled_nightly():
    from core.celery import app

    entries = {e["task"] for e in app.conf.beat_schedule.values()}
    assert "alerts.tasks.purge_expired_records" in entries
    assert "alerts.tasks.purge_expired_records" in app.tasks


@pytest.mark.django_db
def test_the_purge_task_uses_the_retention_setting(student_a, alice, settings):
    from alerts.tasks import purge_expired_records

    settings.RETENTION_DAYS = 5
    ObservationFactory(
        student=student_a, observed_on=dt.date.today() - dt.timedelta(days=6), recorded_by=alice
    )
    ObservationFactory(student=student_a, observed_on=dt.date.today(), recorded_by=alice)
    assert purge_expired_records() == {"observations": 1, "attendance": 0}
    assert Observation.objects.count() == 1
