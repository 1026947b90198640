"""Web pages for recording: log an observation, my observations, the register, the school
admin's staff and students pages, and the student page of counsellors and school admins.

Thin: every queryset goes through schools.tenancy.scope(), so a page simply does not find
another school's rows (404), and a page for a role the user does not hold at any school is a
404 too. Writes go through schools.services. One module per page group; the url conf and the
context processor import from here.
"""

from __future__ import annotations

from .audit import audit
from .common import nav_context
from .invitations import invitation
from .observations import (
    my_observations,
    observation_correct,
    observation_withdraw,
    observe,
    student_search,
)
from .register import register
from .staff import invitation_withdraw, staff, staff_remove, staff_role
from .students import (
    student_deactivate,
    student_detail,
    student_find,
    student_reactivate,
    student_year_group,
    students,
    students_move_up,
)

__all__ = [
    "audit",
    "invitation",
    "invitation_withdraw",
    "my_observations",
    "nav_context",
    "observation_correct",
    "observation_withdraw",
    "observe",
    "register",
    "staff",
    "staff_remove",
    "staff_role",
    "student_deactivate",
    "student_detail",
    "student_find",
    "student_reactivate",
    "student_search",
    "student_year_group",
    "students",
    "students_move_up",
]
