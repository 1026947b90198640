"""`{% student_cases student as cases %}`: a student's cases, open first, then the closed
ones newest first, for the student page (which is already limited to casework staff of the
student's school)."""

from __future__ import annotations

from django import template

from alerts.selectors import student_cases as _student_cases

register = template.Library()


@register.simple_tag
def student_cases(student):
    return _student_cases(student=student)
