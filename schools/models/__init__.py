"""What is recorded: schools, who works there, pseudonymous students, attendance, observations.

One module per concern; everything is imported from `schools.models` as before:
`school` (schools, calendars, roles, memberships, invitations), `records` (students, marks,
observations) and `jobs` (imports, evaluation requests).
"""

from .jobs import EvaluationRequest, ImportJob
from .records import (
    ABSENT_STATUSES,
    AttendanceRecord,
    AttendanceStatus,
    Observation,
    ObservationSign,
    RecordSource,
    Session,
    Student,
)
from .school import (
    STUDENT_CODE_HELP,
    STUDENT_CODE_PATTERN,
    ClosureDay,
    Invitation,
    Membership,
    Role,
    School,
    Term,
    refuse_future,
    student_code_validator,
    validate_time_zone,
)

__all__ = [
    "ABSENT_STATUSES",
    "STUDENT_CODE_HELP",
    "STUDENT_CODE_PATTERN",
    "AttendanceRecord",
    "AttendanceStatus",
    "ClosureDay",
    "EvaluationRequest",
    "ImportJob",
    "Invitation",
    "Membership",
    "Observation",
    "ObservationSign",
    "RecordSource",
    "Role",
    "School",
    "Session",
    "Student",
    "Term",
    "refuse_future",
    "student_code_validator",
    "validate_time_zone",
]
