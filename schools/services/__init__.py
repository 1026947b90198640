"""Writes to the recorded data. Views, serializers, commands and importers call these.

Each function validates what the database cannot, writes inside one transaction, and says in
its docstring what it guarantees. One module per entity; every public name is importable
from `schools.services` as well.
"""

from __future__ import annotations

from .attendance import AttendanceInput, UpsertResult, attendance_upsert, register_save
from .invitations import (
    invitation_accept,
    invitation_accept_new,
    invitation_create,
    invitation_find,
    invitation_withdraw,
    invitations_open,
)
from .memberships import membership_add, membership_change_role, membership_remove
from .observations import (
    ClientIdConflict,
    ObservationInput,
    observation_can_correct,
    observation_correct,
    observation_correction_deadline,
    observation_correction_hours,
    observation_create,
    observation_withdraw_own,
    observations_create_batch,
)
from .students import (
    student_create,
    student_deactivate,
    student_reactivate,
    student_record_read,
    student_set_year_group,
    students_create_bulk,
    students_move_up_a_year,
)
from .validation import observation_clean, validate_not_future, validate_note, validate_signs

__all__ = [
    "AttendanceInput",
    "ClientIdConflict",
    "ObservationInput",
    "UpsertResult",
    "attendance_upsert",
    "invitation_accept",
    "invitation_accept_new",
    "invitation_create",
    "invitation_find",
    "invitation_withdraw",
    "invitations_open",
    "membership_add",
    "membership_change_role",
    "membership_remove",
    "observation_can_correct",
    "observation_clean",
    "observation_correct",
    "observation_correction_deadline",
    "observation_correction_hours",
    "observation_create",
    "observation_withdraw_own",
    "observations_create_batch",
    "register_save",
    "student_create",
    "student_deactivate",
    "student_reactivate",
    "student_record_read",
    "student_set_year_group",
    "students_create_bulk",
    "students_move_up_a_year",
    "validate_not_future",
    "validate_note",
    "validate_signs",
]
