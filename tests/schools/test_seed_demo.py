"""`python manage.py seed_demo`: a demo school, one user per role whose
printed logins work, about 60 students, twelve school weeks of records in the past, and most
students with nothing worth a second look. (What evaluation makes of the stories is in
tests/alerts/test_demo.py.)"""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from core.models import ApiToken
from schools.calendar import school_days_between
from schools.models import AttendanceRecord, Membership, Observation, Role, School, Student
from schools.signs import WITHDRAWAL_SIGNS
from tests.tokens import owner_of

from .helpers import table_counts

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def demo():
    output = _seed()
    return School.objects.get(code="demo"), output


def test_every_printed_login_works_and_every_role_has_one(demo):
    school, output = demo
    logins = re.findall(r"^\s+.+?\s+(\S+@\S+)\s+(\S+)$", output, flags=re.M)
    assert len(logins) >= 3, output
    roles = set()
    for email, password in logins:
        user = authenticate(RequestFactory().post("/login/"), username=email, password=password)
        assert user is not None, email
        roles.add(Membership.objects.get(user=user, school=school).role)
    assert roles >= {Role.TEACHER, Role.COUNSELLOR, Role.SCHOOL_ADMIN}

    token = re.search(r"API token\s+([0-9a-f]{64})", output).group(1)
    owner = owner_of(token)
    assert Membership.objects.get(user=owner, school=school).role == Role.INTEGRATION
    # Only a digest is kept; running it again replaces the token, which still works.
    assert not ApiToken.objects.filter(digest=token).exists()
    again = re.search(r"API token\s+([0-9a-f]{64})", _seed()).group(1)
    assert owner_of(again) == owner
    assert owner_of(token) is None


def test_the_school_has_a_designated_counsellor_and_a_deputy(demo):
    school, _ = demo
    counsellors = set(
        Membership.objects.filter(school=school, role=Role.COUNSELLOR).values_list(
            "user_id", flat=True
        )
    )
    assert school.designated_counsellor_id in counsellors
    assert school.deputy_id and school.deputy_id != school.designated_counsellor_id


def test_about_sixty_students_and_twelve_school_weeks_of_records(demo):
    school, _ = demo
    assert 55 <= Student.objects.filter(school=school).count() <= 65
    dates = set(Observation.objects.values_list("observed_on", flat=True)) | set(
        AttendanceRecord.objects.values_list("date", flat=True)
    )
    assert max(dates) <= school.today(), "nothing in the future"
    school_days = school_days_between(school, min(dates), max(dates))
    assert set(dates) <= set(school_days), "every record is on a school day"
    weeks = {day.isocalendar()[:2] for day in school_days}
    assert 11 <= len(weeks) <= 13, len(weeks)


def test_most_students_show_no_withdrawal_pattern(demo):
    school, _ = demo
    # "A pattern" here is generous: withdrawal signs seen in at least three different weeks.
    weeks_by_student: dict[int, set] = {}
    for student_id, day in Observation.objects.filter(signs__sign__in=WITHDRAWAL_SIGNS).values_list(
        "student_id", "observed_on"
    ):
        weeks_by_student.setdefault(student_id, set()).add(day.isocalendar()[:2])
    with_pattern = [s for s, weeks in weeks_by_student.items() if len(weeks) >= 3]
    students = Student.objects.filter(school=school).count()
    assert 2 <= len(with_pattern) <= students // 5


def test_running_it_again_changes_nothing_and_prints_the_logins_again(demo):
    _, first = demo
    counts = table_counts()
    again = _seed()
    # No record changes; the demo token is replaced by a new one (it is kept only as a
    # digest, so the old one cannot be printed again), and that is audited.
    counts["core.AuditEvent"] += 1
    assert table_counts() == counts
    assert "Found the demo school" in again
    for line in first.splitlines():
        if "@demo.school" in line:
            assert line in again
