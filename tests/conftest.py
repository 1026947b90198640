"""Shared fixtures: two schools and named staff, so permission tests read like sentences.

School A ("north"): alice (teacher), tom (another teacher), carol (counsellor), adam (admin),
ivan (integration). School B ("south"): bob (teacher), cora (counsellor), bella (admin).

Every test runs on a frozen school day (see tests/clock.py): "today" is the same whatever
day the suite runs, and the factories derive terms and default dates from it.
"""

from __future__ import annotations

import contextlib

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import translation
from rest_framework.test import APIClient

from schools.models import Role

from .clock import school_day_for
from .factories import MembershipFactory, SchoolFactory, StudentFactory, TermFactory, UserFactory


@pytest.fixture(autouse=True)
def _school_day(request):
    """Travel to the test's school day for the length of the test (autouse, so it starts
    before any other function fixture builds data). The clock ticks on from there, so
    timestamps keep their order and timeouts still run out; time-machine patches the clock
    for the whole process, so the live server's and any helper thread see the same day."""
    when = school_day_for(request.node)
    if when is None:
        yield None
        return
    with time_machine.travel(when, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True, scope="session")
def _real_postgresql(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        assert connection.vendor == "postgresql", (
            "The suite runs against PostgreSQL (make test sets DATABASE_URL), never SQLite."
        )


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate limits are counted in the cache (Redis), which outlives a test's transaction:
    each test starts with none spent, as its database starts with no failed sign-ins."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """The language a request activated outlives it in the test's thread (the test client
    serves the request in it): each test starts in the site's default language, as a new
    request does, whatever the test before it read."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def school_a(db):
    school = SchoolFactory(code="north", name="North Academy")
    TermFactory(school=school)
    return school


@pytest.fixture
def school_b(db):
    school = SchoolFactory(code="south", name="South High")
    TermFactory(school=school)
    return school


def _member(email: str, school, role: str):
    user = UserFactory(email=email)
    MembershipFactory(user=user, school=school, role=role)
    return user


@pytest.fixture
def alice(school_a):
    return _member("alice@north.test", school_a, Role.TEACHER)


@pytest.fixture
def tom(school_a):
    return _member("tom@north.test", school_a, Role.TEACHER)


@pytest.fixture
def carol(school_a):
    return _member("carol@north.test", school_a, Role.COUNSELLOR)


@pytest.fixture
def adam(school_a):
    return _member("adam@north.test", school_a, Role.SCHOOL_ADMIN)


@pytest.fixture
def ivan(school_a):
    return _member("ivan@north.test", school_a, Role.INTEGRATION)


@pytest.fixture
def bob(school_b):
    return _member("bob@south.test", school_b, Role.TEACHER)


@pytest.fixture
def cora(school_b):
    return _member("cora@south.test", school_b, Role.COUNSELLOR)


@pytest.fixture
def bella(school_b):
    return _member("bella@south.test", school_b, Role.SCHOOL_ADMIN)


@pytest.fixture
def student_a(school_a):
    return StudentFactory(school=school_a, code="S-0042")


@pytest.fixture
def student_b(school_b):
    return StudentFactory(school=school_b, code="S-0042")


@pytest.fixture
def api():
    """An API client; `api.as_(user)` logs in as that user and returns the client."""
    client = APIClient()

    def as_(user):
        client.force_authenticate(user=user)
        return client

    client.as_ = as_
    return client


@pytest.fixture
def worker_for(tmp_path):
    """`worker_for(task, ..., env={...})` starts a real Celery worker (tests/processes.py)
    that alone takes the named tasks, and stops it after the test. The test needs
    `django_db(transaction=True)`, so the worker sees what it wrote."""
    from .processes import own_queue_worker

    with contextlib.ExitStack() as stack:

        def start(*tasks: str, env: dict[str, str] | None = None):
            return stack.enter_context(own_queue_worker(tasks, directory=tmp_path, env=env))

        yield start
