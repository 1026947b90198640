"""Helpers for the page tests: a logged-in Django test client per named user, and a case at
each school (tests/factories.py FlaggedCaseFactory)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import FlaggedCaseFactory


@pytest.fixture
def as_user():
    """`as_user(alice)` returns a test client logged in as alice (a fresh client each call)."""

    def login(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return login


@pytest.fixture
def case_a(student_a):
    return FlaggedCaseFactory(student=student_a)


@pytest.fixture
def case_b(student_b):
    return FlaggedCaseFactory(student=student_b)
