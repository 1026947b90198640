"""Writes to students: add one or many by pseudonymous code, mark one as left or back, change
a year group, move the school's year groups up at the start of a school year."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.limits import validate_date_bounds

from ..models import School, Student, refuse_future

if TYPE_CHECKING:
    from core.models import User


def student_create(
    *,
    school: School,
    code: str,
    year_group: int | None = None,
    assigned_counsellor: User | None = None,
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
            {
                "code": [
                    _("%(code)s is already a student at %(school)s.")
                    % {"code": code, "school": school.code}
                ]
            },
            code="unique",
        ) from e
    return student


def student_deactivate(
    *, student: Student, left_on: dt.date | None = None, by: User | None = None
) -> Student:
    """Mark a student as having left the school, on `left_on` (their last day on roll;
    default today at the school, never later). Their records stay, for open cases and for
    previews and backtests of the days they were on roll. Audited."""
    today = student.school.today()
    left_on = left_on or today
    validate_date_bounds(left_on)
    refuse_future(left_on, student.school, "left_on")
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


def student_reactivate(*, student: Student) -> Student:
    """Mark a student who had left as back at the school (on roll again, no leaving date)."""
    Student.objects.filter(pk=student.pk).update(is_active=True, left_on=None)
    student.is_active, student.left_on = True, None
    return student


def student_set_year_group(*, student: Student, year_group: int | None) -> Student:
    """Change a student's year group (1-14, or None when not known)."""
    student.year_group = year_group
    student.full_clean(exclude=["school", "code", "assigned_counsellor"])
    Student.objects.filter(pk=student.pk).update(year_group=year_group)
    return student


def students_move_up_a_year(*, school: School, by: User) -> int:
    """The start of a school year: every student at the school with a year group below 14
    moves up one; the others (year 14, or not known) stay. Returns how many moved. One
    UPDATE, so it happens for all of them or none, and one audit entry for who did it."""
    with transaction.atomic():
        moved = Student.objects.filter(school=school, is_active=True, year_group__lt=14).update(
            year_group=F("year_group") + 1
        )
        audit_record(
            actor=by,
            action="students.move_up",
            obj=school,
            school_id=school.pk,
            detail={"moved": moved},
        )
    return moved


def students_create_bulk(
    *, school: School, codes: Sequence[str], year_group: int | None = None
) -> list[Student]:
    """Add many students by code, all or nothing.

    Every code is checked first (pattern, duplicates in the list, codes already at the
    school); a ValidationError lists every bad code and nothing is written.
    """
    cleaned = [c.strip().upper() for c in codes if c.strip()]
    if not cleaned:
        raise ValidationError(_("Enter at least one code."))
    problems = []
    seen: set[str] = set()
    for code in cleaned:
        try:
            Student(school=school, code=code, year_group=year_group).clean_fields(
                exclude=["school", "assigned_counsellor"]
            )
        except ValidationError:
            problems.append(
                _("%(code)s: not a valid code (use a pattern like S-0042)") % {"code": code}
            )
        if code in seen:
            problems.append(_("%(code)s: listed twice") % {"code": code})
        seen.add(code)
    taken = set(
        Student.objects.filter(school=school, code__in=cleaned).values_list("code", flat=True)
    )
    problems += [_("%(code)s: already a student here") % {"code": code} for code in sorted(taken)]
    if problems:
        raise ValidationError([_("Nothing was added."), *problems])
    with transaction.atomic():
        return Student.objects.bulk_create(
            Student(school=school, code=code, year_group=year_group) for code in cleaned
        )


def student_record_read(*, student: Student, by: User, until: dt.date, weeks: int) -> None:
    """Every read of a student's page is in the audit trail (who, which student, which
    span), like every read of a case."""
    audit_record(
        actor=by,
        action="student.read",
        obj=student,
        school_id=student.school_id,
        detail={"until": until.isoformat(), "weeks": weeks},
    )
