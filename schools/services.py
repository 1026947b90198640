"""Writes to the recorded data. Views, serializers, commands and importers call these.

Each function validates what the database cannot, writes inside one transaction, and says in
its docstring what it guarantees.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit import audit_record
from core.limits import validate_date_bounds
from core.screening import NOTE_MAX_LENGTH, clean_text, screen_note

from .models import (
    AttendanceRecord,
    Membership,
    Observation,
    ObservationSign,
    RecordSource,
    Role,
    School,
    Student,
)
from .signs import Sign


class ClientIdConflict(Exception):
    """A client id that is already used by somebody else's observation."""


def validate_not_future(day: dt.date, school: School) -> None:
    """Refuse a date after today at the school (dates are school-local), or before
    RECORDS_EARLIEST_DATE."""
    validate_date_bounds(day)
    if day > school.today():
        raise ValidationError(
            "%(day)s is in the future at %(school)s; record what has happened.",
            code="future_date",
            params={"day": day.isoformat(), "school": school.code},
        )


def validate_signs(signs: Iterable[str]) -> list[str]:
    codes = list(dict.fromkeys(signs))
    if not codes:
        raise ValidationError("Choose at least one sign.", code="no_signs")
    unknown = [c for c in codes if c not in Sign.values]
    if unknown:
        raise ValidationError(
            "Unknown sign code %(codes)s. Known codes: %(known)s.",
            code="unknown_sign",
            params={"codes": ", ".join(unknown), "known": ", ".join(Sign.values)},
        )
    return codes


def validate_note(note: str) -> str:
    note = clean_text(note)
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError(
            "A note is at most %(max)d characters (this one has %(n)d).",
            code="note_too_long",
            params={"max": NOTE_MAX_LENGTH, "n": len(note)},
        )
    screen_note(note)
    return note


@dataclass(frozen=True)
class ObservationInput:
    student: Student
    observed_on: dt.date
    signs: Sequence[str]
    note: str = ""
    client_id: uuid.UUID | None = None


def _observation_clean(item: ObservationInput) -> tuple[list[str], str]:
    validate_not_future(item.observed_on, item.student.school)
    return validate_signs(item.signs), validate_note(item.note)


def observation_create(
    *,
    student: Student,
    observed_on: dt.date,
    signs: Sequence[str],
    recorded_by,
    note: str = "",
    client_id: uuid.UUID | None = None,
) -> tuple[Observation, bool]:
    """Record one observation; return it and whether it was created now.

    Idempotent on `client_id`: a retried submission returns the row the first one made
    (created False), even when both arrive at once. A client id already used by another
    member of staff raises ClientIdConflict and writes nothing.
    """
    item = ObservationInput(student, observed_on, signs, note, client_id)
    codes, clean_note = _observation_clean(item)
    client_id = client_id or uuid.uuid4()
    existing = _existing_by_client_id(client_id, recorded_by)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            observation = Observation.objects.create(
                student=student,
                observed_on=observed_on,
                note=clean_note,
                recorded_by=recorded_by,
                client_id=client_id,
            )
            ObservationSign.objects.bulk_create(
                ObservationSign(observation=observation, sign=c) for c in codes
            )
    except IntegrityError:
        # The same submission arrived twice at once; the other request won the insert.
        existing = _existing_by_client_id(client_id, recorded_by)
        if existing is None:
            raise
        return existing, False
    return observation, True


def _existing_by_client_id(client_id: uuid.UUID, recorded_by) -> Observation | None:
    existing = Observation.objects.filter(client_id=client_id).first()
    if existing is not None and existing.recorded_by_id != recorded_by.pk:
        raise ClientIdConflict("This client id belongs to another observation.")
    return existing


def observations_create_batch(
    *, items: Sequence[ObservationInput], recorded_by
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
        raise ValidationError("The batch repeats a client id.", code="repeated_client_id")
    try:
        return _observations_insert(cleaned, ids, recorded_by)
    except IntegrityError:
        # The same rows arrived at once in another request (a retry) and it won the insert of
        # a client id; ours rolled back whole. Once more: those rows now count as already
        # recorded, or as a conflict when they are somebody else's.
        return _observations_insert(cleaned, ids, recorded_by)


def _observations_insert(cleaned, ids, recorded_by) -> tuple[list[Observation], int]:
    existing = {o.client_id: o for o in Observation.objects.filter(client_id__in=ids)}
    if any(o.recorded_by_id != recorded_by.pk for o in existing.values()):
        raise ClientIdConflict("A client id in this batch belongs to another observation.")
    result: list[Observation] = []
    new = []
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
    return result, len(new)


@dataclass(frozen=True)
class AttendanceInput:
    student: Student
    date: dt.date
    session: str
    status: str
    original_code: str = ""


@dataclass(frozen=True)
class UpsertResult:
    created: int
    updated: int
    unchanged: int


def attendance_upsert(
    *, items: Sequence[AttendanceInput], recorded_by=None, source: str = RecordSource.API
) -> UpsertResult:
    """Insert or update register marks, all or nothing, one per student, date and session.

    A mark that is already recorded with the same status and code is left untouched, so
    sending the same batch again changes nothing. The counts say what happened.
    """
    for item in items:
        validate_not_future(item.date, item.student.school)
    keys = {(i.student.pk, i.date, i.session) for i in items}
    if len(keys) != len(items):
        raise ValidationError("The batch names the same student, date and session twice.")
    try:
        return _attendance_write(items, recorded_by, source)
    except IntegrityError:
        # The same marks arrived at once in another request (a retry) and it inserted some of
        # them first; ours rolled back whole. Once more: those marks now exist and are updated
        # or left unchanged.
        return _attendance_write(items, recorded_by, source)


def _attendance_write(items: Sequence[AttendanceInput], recorded_by, source: str) -> UpsertResult:
    student_ids = {i.student.pk for i in items}
    dates = {i.date for i in items}
    current = {
        (r.student_id, r.date, r.session): r
        for r in AttendanceRecord.objects.filter(student_id__in=student_ids, date__in=dates)
    }
    to_create, to_update = [], []
    now = timezone.now()
    for item in items:
        record = current.get((item.student.pk, item.date, item.session))
        if record is None:
            to_create.append(
                AttendanceRecord(
                    student=item.student,
                    date=item.date,
                    session=item.session,
                    status=item.status,
                    original_code=item.original_code,
                    source=source,
                    recorded_by=recorded_by,
                )
            )
        elif (record.status, record.original_code) != (item.status, item.original_code):
            record.status = item.status
            record.original_code = item.original_code
            record.source = source
            record.recorded_by = recorded_by
            record.updated_at = now
            to_update.append(record)
    with transaction.atomic():
        AttendanceRecord.objects.bulk_create(to_create, batch_size=1000)
        AttendanceRecord.objects.bulk_update(
            to_update,
            ["status", "original_code", "source", "recorded_by", "updated_at"],
            batch_size=1000,
        )
    return UpsertResult(
        created=len(to_create),
        updated=len(to_update),
        unchanged=len(items) - len(to_create) - len(to_update),
    )


def student_create(
    *, school: School, code: str, year_group: int | None = None, assigned_counsellor=None
) -> Student:
    """Add a student by pseudonymous code; the code is unique within the school."""
    student = Student(
        school=school, code=code, year_group=year_group, assigned_counsellor=assigned_counsellor
    )
    student.full_clean()
    try:
        with transaction.atomic():
            student.save()
    except IntegrityError as e:
        # The same code was added by another request at the same moment (full_clean saw no row).
        raise ValidationError(
            {"code": [f"{code} is already a student at {school.code}."]}, code="unique"
        ) from e
    return student


def student_deactivate(*, student: Student, left_on: dt.date | None = None, by=None) -> Student:
    """Mark a student as having left the school, on `left_on` (their last day on roll;
    default today at the school, never later). Their records stay, for open cases and for
    previews and backtests of the days they were on roll. Audited."""
    today = student.school.today()
    left_on = left_on or today
    validate_date_bounds(left_on)
    if left_on > today:
        raise ValidationError(
            {"left_on": f"{left_on.isoformat()} is in the future at the school."},
            code="future_date",
        )
    with transaction.atomic():
        Student.objects.filter(pk=student.pk).update(is_active=False, left_on=left_on)
        student.is_active, student.left_on = False, left_on
        audit_record(
            actor=by,
            action="student.left",
            obj=student,
            school_id=student.school_id,
            detail={"left_on": left_on.isoformat()},
        )
    return student


# --- Web pages: corrections, the register, staff and students ------------------------------


def observation_correction_hours() -> int:
    from django.conf import settings

    return getattr(settings, "OBSERVATION_CORRECTION_HOURS", 24)


def observation_correction_deadline(observation: Observation) -> dt.datetime:
    """Until when the member of staff who recorded `observation` may correct or withdraw it."""
    return observation.created_at + dt.timedelta(hours=observation_correction_hours())


def observation_can_correct(
    *, observation: Observation, by, now: dt.datetime | None = None
) -> bool:
    """True while `by` recorded it, it is not withdrawn, and the correction window is open."""
    now = now or timezone.now()
    return (
        observation.recorded_by_id == getattr(by, "pk", None)
        and observation.withdrawn_at is None
        and now <= observation_correction_deadline(observation)
    )


def _check_correctable(observation: Observation, by, now: dt.datetime | None) -> None:
    if observation.recorded_by_id != getattr(by, "pk", None):
        raise ValidationError("Only the person who recorded an observation can change it.")
    if observation.withdrawn_at is not None:
        raise ValidationError("This observation has already been withdrawn.")
    if not observation_can_correct(observation=observation, by=by, now=now):
        raise ValidationError(
            "An observation can be corrected or withdrawn only within %(h)d hours of recording it.",
            code="correction_window_closed",
            params={"h": observation_correction_hours()},
        )


def _withdraw(observation: Observation) -> None:
    """Set withdrawn_at once (compare-and-swap): a second withdrawal is refused."""
    changed = Observation.objects.filter(pk=observation.pk, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now()
    )
    if not changed:
        raise ValidationError("This observation has already been withdrawn.")


def observation_withdraw_own(
    *, observation: Observation, by, now: dt.datetime | None = None
) -> Observation:
    """Withdraw one's own observation inside the correction window.

    The row stays (withdrawn_at is set, it stops counting as evidence); the withdrawal is in
    the audit trail. A second withdrawal, someone else's observation or a closed window raise
    ValidationError and change nothing.
    """
    _check_correctable(observation, by, now)
    with transaction.atomic():
        _withdraw(observation)
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
    by,
    observed_on: dt.date,
    signs: Sequence[str],
    note: str = "",
    now: dt.datetime | None = None,
) -> Observation:
    """Correct one's own observation inside the correction window; return the corrected one.

    A correction never rewrites history: the original is withdrawn (kept, no longer counted)
    and a new observation with the corrected date, signs and note is recorded, in one
    transaction, so either both happen or neither. The student stays the same.
    """
    _check_correctable(observation, by, now)
    with transaction.atomic():
        _withdraw(observation)
        corrected, _ = observation_create(
            student=observation.student,
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
    observation.refresh_from_db(fields=["withdrawn_at"])
    return corrected


def register_save(
    *,
    marks: Sequence[AttendanceInput],
    recorded_by,
) -> UpsertResult:
    """Save a register taken on the web page: everyone is present unless marked otherwise.

    Only the exceptions are stored (a school day without a record counts as present), so a
    "present" mark is written only where a record already exists and must be set back to
    present. All or nothing, through attendance_upsert.
    """
    if not marks:
        return UpsertResult(0, 0, 0)
    existing = set(
        AttendanceRecord.objects.filter(
            student_id__in={m.student.pk for m in marks},
            date__in={m.date for m in marks},
        ).values_list("student_id", "date", "session")
    )
    items = [
        m for m in marks if m.status != "present" or (m.student.pk, m.date, m.session) in existing
    ]
    result = attendance_upsert(items=items, recorded_by=recorded_by, source=RecordSource.REGISTER)
    return UpsertResult(result.created, result.updated, result.unchanged + len(marks) - len(items))


def students_create_bulk(
    *, school: School, codes: Sequence[str], year_group: int | None = None
) -> list[Student]:
    """Add many students by code, all or nothing.

    Every code is checked first (pattern, duplicates in the list, codes already at the
    school); a ValidationError lists every bad code and nothing is written.
    """
    cleaned = [c.strip().upper() for c in codes if c.strip()]
    if not cleaned:
        raise ValidationError("Enter at least one code.")
    problems = []
    seen: set[str] = set()
    for code in cleaned:
        try:
            Student(school=school, code=code, year_group=year_group).clean_fields(
                exclude=["school", "assigned_counsellor"]
            )
        except ValidationError:
            problems.append(f"{code}: not a valid code (use a pattern like S-0042)")
        if code in seen:
            problems.append(f"{code}: listed twice")
        seen.add(code)
    taken = set(
        Student.objects.filter(school=school, code__in=cleaned).values_list("code", flat=True)
    )
    problems += [f"{code}: already a student here" for code in sorted(taken)]
    if problems:
        raise ValidationError(["Nothing was added.", *problems])
    with transaction.atomic():
        return Student.objects.bulk_create(
            Student(school=school, code=code, year_group=year_group) for code in cleaned
        )


def _admins_left(school: School, without: Membership) -> int:
    return (
        Membership.objects.filter(school=school, role=Role.SCHOOL_ADMIN)
        .exclude(pk=without.pk)
        .count()
    )


def membership_add(*, school: School, email: str, role: str, by) -> tuple[Membership, bool]:
    """Give the person with `email` a role at `school`; return the membership and whether a
    new user account was made.

    A new account has no usable password: the person sets one through the password-reset
    e-mail. Someone who already has a role at the school is refused (one role per school).
    """
    from core.models import User

    email = User.objects.normalize_email(email).lower().strip()
    if role not in Role.values:
        raise ValidationError("Choose a role.")
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        created = user is None
        if created:
            user = User.objects.create_user(email=email, password=None)
        if Membership.objects.filter(user=user, school=school).exists():
            raise ValidationError("%(email)s already has a role here.", params={"email": email})
        membership = Membership.objects.create(user=user, school=school, role=role)
        audit_record(
            actor=by,
            action="membership.add",
            obj=membership,
            school_id=school.pk,
            detail={"role": role},
        )
    return membership, created


def membership_change_role(*, membership: Membership, role: str, by) -> Membership:
    """Change a member's role at the school. The school always keeps at least one admin."""
    if role not in Role.values:
        raise ValidationError("Choose a role.")
    with transaction.atomic():
        # Lock the school's admin rows so two admins demoting each other cannot leave none.
        list(
            Membership.objects.select_for_update().filter(
                school=membership.school_id, role=Role.SCHOOL_ADMIN
            )
        )
        if (
            membership.role == Role.SCHOOL_ADMIN
            and role != Role.SCHOOL_ADMIN
            and not _admins_left(membership.school, membership)
        ):
            raise ValidationError("The school needs at least one school admin.")
        old = membership.role
        Membership.objects.filter(pk=membership.pk).update(role=role)
        membership.role = role
        audit_record(
            actor=by,
            action="membership.change_role",
            obj=membership,
            school_id=membership.school_id,
            detail={"from": old, "to": role},
        )
    return membership


def membership_remove(*, membership: Membership, by) -> None:
    """Remove a member's role at the school (the account stays for the audit trail).
    The school always keeps at least one admin."""
    with transaction.atomic():
        list(
            Membership.objects.select_for_update().filter(
                school=membership.school_id, role=Role.SCHOOL_ADMIN
            )
        )
        if membership.role == Role.SCHOOL_ADMIN and not _admins_left(membership.school, membership):
            raise ValidationError("The school needs at least one school admin.")
        audit_record(
            actor=by,
            action="membership.remove",
            obj=membership,
            school_id=membership.school_id,
            detail={"role": membership.role, "user": membership.user_id},
        )
        membership.delete()
