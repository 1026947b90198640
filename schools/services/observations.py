"""Writes to observations: record one or a batch (idempotent on the client id), and the
recorder's own correction or withdrawal inside the correction window."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.exceptions import Conflict
from core.rows import prepared_cursor

from ..models import Observation, ObservationSign, Student
from .evaluation_requests import evaluation_request, request_times
from .validation import observation_clean

if TYPE_CHECKING:
    from core.models import User


class ClientIdConflict(Conflict):
    """A client id that is already used by somebody else's observation (the API answers
    409)."""


@dataclass(frozen=True)
class ObservationInput:
    student: Student
    observed_on: dt.date
    signs: Sequence[str]
    note: str = ""
    client_id: uuid.UUID | None = None


def _observation_clean(item: ObservationInput) -> tuple[list[str], str]:
    return observation_clean(
        school=item.student.school, observed_on=item.observed_on, signs=item.signs, note=item.note
    )


def observation_create(
    *,
    student: Student,
    observed_on: dt.date,
    signs: Sequence[str],
    recorded_by: User,
    note: str = "",
    client_id: uuid.UUID | None = None,
) -> tuple[Observation, bool]:
    """Record one observation; return it and whether it was created now.

    Idempotent on `client_id`: a retried submission returns the row the first one made
    (created False), even when both arrive at once (one `INSERT ... ON CONFLICT` with the
    signs, no read before it). A client id already used by another member of staff raises
    ClientIdConflict and writes nothing.
    """
    item = ObservationInput(student, observed_on, signs, note, client_id)
    codes, clean_note = _observation_clean(item)
    client_id = client_id or uuid.uuid4()
    if connection.vendor != "postgresql":
        return _observation_create_orm(item, codes, clean_note, client_id, recorded_by)
    due, now = request_times()
    with prepared_cursor() as cursor:
        cursor.execute(
            _INSERT_WITH_SIGNS,
            [
                student.pk,
                observed_on,
                clean_note,
                recorded_by.pk,
                now,
                now,
                client_id,
                codes,
                student.school_id,
                student.school_id,
                due,
                now,
            ],
        )
        row = cursor.fetchone()
    if row is None:
        # The client id was recorded before (a retry, or the same submission twice at once).
        existing = _existing_by_client_id(client_id, recorded_by)
        if existing is None:
            raise ClientIdConflict(_("This client id could not be recorded."))
        return existing, False
    observation = Observation(
        pk=row[0],
        student=student,
        observed_on=observed_on,
        note=clean_note,
        recorded_by=recorded_by,
        client_id=client_id,
        created_at=now,
        updated_at=now,
    )
    observation._state.adding = False
    observation._state.db = connection.alias
    # What the answer shows, from what was written.
    observation.written_signs = codes  # type: ignore[attr-defined]  # read by the serializer
    return observation, True


# The observation, its signs and the school's evaluation request in one statement (atomic by
# itself): a client id already recorded inserts nothing and returns no row.
#
# The request: while the school's request waits, unclaimed (the usual case: every save within
# the delay), there is nothing to change, and the save only holds it with a share lock until
# it commits. Share locks do not wait for one another, so the school's saves commit side by
# side; before, every save went through REQUEST_UPSERT, whose ON CONFLICT locks the row for
# update even when its WHERE leaves it unchanged, so each save of a school waited for the
# previous one's commit (its disk flush included): measured, 8 saves at once went from
# 340-800 to 1,400 a second. A worker's claim (an UPDATE) still waits for every share lock,
# so it evaluates every save that found the request unclaimed. A claimed request (a run in
# progress), or none, goes through the upsert as before: `again`, or a new request.
_INSERT_WITH_SIGNS = """
WITH new AS (
    INSERT INTO schools_observation
        (student_id, observed_on, note, recorded_by_id, created_at, updated_at, client_id)
    VALUES (%s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (client_id) DO NOTHING
    RETURNING id
), signs AS (
    INSERT INTO schools_observationsign (observation_id, sign)
    SELECT new.id, code FROM new, unnest(%s::varchar[]) AS code
), waiting AS (
    SELECT 1 FROM schools_evaluationrequest
    WHERE school_id = %s AND claimed_at IS NULL
    FOR SHARE
), request AS (
    -- evaluation_requests.REQUEST_UPSERT, for the school of the new observation.
    INSERT INTO schools_evaluationrequest (school_id, due_at, requested_at, claimed_at, again)
    SELECT %s, %s::timestamptz, %s::timestamptz, NULL, false FROM new
    WHERE NOT EXISTS (SELECT 1 FROM waiting)
    ON CONFLICT (school_id) DO UPDATE
        SET again = true, requested_at = excluded.requested_at
        WHERE schools_evaluationrequest.claimed_at IS NOT NULL
)
SELECT id FROM new
"""


def _observation_create_orm(
    item: ObservationInput,
    codes: list[str],
    clean_note: str,
    client_id: uuid.UUID,
    recorded_by: User,
) -> tuple[Observation, bool]:
    """The same through the ORM, for the embedded SQLite run (`make run`)."""
    existing = _existing_by_client_id(client_id, recorded_by)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            observation = Observation.objects.create(
                student=item.student,
                observed_on=item.observed_on,
                note=clean_note,
                recorded_by=recorded_by,
                client_id=client_id,
            )
            ObservationSign.objects.bulk_create(
                ObservationSign(observation=observation, sign=c) for c in codes
            )
            evaluation_request(school_ids=[item.student.school_id])
    except IntegrityError:
        existing = _existing_by_client_id(client_id, recorded_by)
        if existing is None:
            raise
        return existing, False
    return observation, True


def _existing_by_client_id(client_id: uuid.UUID, recorded_by: User) -> Observation | None:
    existing = Observation.objects.filter(client_id=client_id).first()
    if existing is not None and existing.recorded_by_id != recorded_by.pk:
        raise ClientIdConflict(_("This client id belongs to another observation."))
    return existing


def observations_create_batch(
    *, items: Sequence[ObservationInput], recorded_by: User
) -> tuple[list[Observation], int]:
    """Record a batch of observations, all or nothing.

    The caller has validated every row (see the batch serializer); this re-checks the
    rules a row must meet and raises on the first failure, writing nothing. Rows whose client
    id was already recorded are skipped, so a retried batch writes nothing twice. Returns the
    observations now in the database for the batch and how many were created.
    """
    cleaned = [(_observation_clean(item), item) for item in items]
    ids = [item.client_id for item in items if item.client_id]
    if len(ids) != len(set(ids)):
        raise ValidationError(_("The batch repeats a client id."), code="repeated_client_id")
    try:
        return _observations_insert(cleaned, ids, recorded_by)
    except IntegrityError:
        # The same rows arrived at once in another request (a retry) and it won the insert of
        # a client id; ours rolled back whole. Once more: those rows now count as already
        # recorded, or as a conflict when they are somebody else's.
        return _observations_insert(cleaned, ids, recorded_by)


def _observations_insert(
    cleaned: list[tuple[tuple[list[str], str], ObservationInput]],
    ids: list[uuid.UUID],
    recorded_by: User,
) -> tuple[list[Observation], int]:
    existing = {o.client_id: o for o in Observation.objects.filter(client_id__in=ids)}
    if any(o.recorded_by_id != recorded_by.pk for o in existing.values()):
        raise ClientIdConflict(_("A client id in this batch belongs to another observation."))
    result: list[Observation] = []
    new: list[tuple[Observation, list[str]]] = []
    with transaction.atomic():
        for (codes, note), item in cleaned:
            if item.client_id in existing:
                result.append(existing[item.client_id])
                continue
            obs = Observation(
                student=item.student,
                observed_on=item.observed_on,
                note=note,
                recorded_by=recorded_by,
                client_id=item.client_id or uuid.uuid4(),
            )
            new.append((obs, codes))
            result.append(obs)
        Observation.objects.bulk_create([o for o, _ in new])
        ObservationSign.objects.bulk_create(
            ObservationSign(observation=o, sign=c) for o, codes in new for c in codes
        )
        evaluation_request(school_ids={o.student.school_id for o, _ in new})
    return result, len(new)


# --- corrections by the member of staff who recorded it ----------------------------------


def observation_correction_hours() -> int:
    from django.conf import settings

    hours: int = getattr(settings, "OBSERVATION_CORRECTION_HOURS", 24)
    return hours


def observation_correction_deadline(observation: Observation) -> dt.datetime:
    """Until when the member of staff who recorded `observation` may correct or withdraw it."""
    return observation.created_at + dt.timedelta(hours=observation_correction_hours())


def observation_can_correct(
    *, observation: Observation, by: User, now: dt.datetime | None = None
) -> bool:
    """True while `by` recorded it, it is not withdrawn, and the correction window is open."""
    now = now or timezone.now()
    return (
        observation.recorded_by_id == by.pk
        and observation.withdrawn_at is None
        and now <= observation_correction_deadline(observation)
    )


def _check_correctable(observation: Observation, by: User, now: dt.datetime | None) -> None:
    if observation.recorded_by_id != by.pk:
        raise ValidationError(_("Only the person who recorded an observation can change it."))
    if observation.withdrawn_at is not None:
        raise ValidationError(_("This observation has already been withdrawn."))
    if not observation_can_correct(observation=observation, by=by, now=now):
        raise ValidationError(
            _(
                "An observation can be corrected or withdrawn only within %(h)d hours of "
                "recording it."
            ),
            code="correction_window_closed",
            params={"h": observation_correction_hours()},
        )


def _withdraw(observation: Observation) -> None:
    """Set withdrawn_at once (compare-and-swap): a second withdrawal is refused."""
    now = timezone.now()
    # updated_at too: a withdrawal is a change the next evaluation looks for.
    changed = Observation.objects.filter(pk=observation.pk, withdrawn_at__isnull=True).update(
        withdrawn_at=now, updated_at=now
    )
    if not changed:
        raise ValidationError(_("This observation has already been withdrawn."))


def observation_withdraw_own(
    *, observation: Observation, by: User, now: dt.datetime | None = None
) -> Observation:
    """Withdraw one's own observation inside the correction window.

    The row stays (withdrawn_at is set, it stops counting as evidence); the withdrawal is in
    the audit trail. A second withdrawal, someone else's observation or a closed window raise
    ValidationError and change nothing.
    """
    _check_correctable(observation, by, now)
    with transaction.atomic():
        _withdraw(observation)
        evaluation_request(school_ids=[observation.student.school_id])
        audit_record(
            actor=by,
            action="observation.withdraw",
            obj=observation,
            school_id=observation.student.school_id,
        )
    observation.refresh_from_db(fields=["withdrawn_at"])
    return observation


def observation_correct(
    *,
    observation: Observation,
    by: User,
    observed_on: dt.date,
    signs: Sequence[str],
    note: str = "",
    student: Student | None = None,
    now: dt.datetime | None = None,
) -> Observation:
    """Correct one's own observation inside the correction window; return the corrected one.

    A correction never rewrites history: the original is withdrawn (kept, no longer counted)
    and a new observation with the corrected student, date, signs and note is recorded,
    naming the one it replaces, in one transaction, so either both happen or neither.
    `student` (default: the same) must be a student of the same school — the caller passes
    one scoped to the user.
    """
    _check_correctable(observation, by, now)
    student = student or observation.student
    if student.school_id != observation.student.school_id:
        raise ValidationError(_("A correction stays at the same school."), code="other_school")
    with transaction.atomic():
        _withdraw(observation)
        corrected, _created = observation_create(
            student=student,
            observed_on=observed_on,
            signs=signs,
            note=note,
            recorded_by=by,
        )
        audit_record(
            actor=by,
            action="observation.correct",
            obj=observation,
            school_id=observation.student.school_id,
            detail={"corrected_by_observation": corrected.pk},
        )
        Observation.objects.filter(pk=corrected.pk).update(replaces=observation)
        corrected.replaces = observation
    observation.refresh_from_db(fields=["withdrawn_at"])
    return corrected
