"""Helpers shared by the schools tests: row counts, so "nothing written" is asserted, not
hoped; and `build()`, which makes one saved row of any project model owned by a given school.
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import uuid

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from schools.models import (
    ClosureDay,
    EvaluationRequest,
    Membership,
    Observation,
    School,
    Student,
    Term,
)
from tests.factories import MembershipFactory, StudentFactory, UserFactory

PROJECT_APPS = ("core", "schools", "alerts")


def table_counts() -> dict[str, int]:
    """{model label: row count} for every model of the project's apps."""
    return {
        model._meta.label: model._default_manager.count()
        for app in PROJECT_APPS
        for model in apps.get_app_config(app).get_models()
    }


def changed_tables(before: dict[str, int]) -> dict[str, tuple[int, int]]:
    """The tables whose row count differs from `before`, as {label: (before, after)}."""
    after = table_counts()
    return {k: (before.get(k, 0), v) for k, v in after.items() if before.get(k, 0) != v}


def result_ids(response) -> set:
    """The ids in a paginated (or plain) list response."""
    data = response.json()
    rows = data["results"] if isinstance(data, dict) and "results" in data else data
    return {row["id"] for row in rows}


_serial = itertools.count(1)


def unique() -> int:
    """A number not handed out before in this test run (for codes and e-mail addresses)."""
    return next(_serial)


def _student(school, member):
    return StudentFactory(school=school, code=f"S-A{next(_serial):04d}")


def _membership(school, member):
    return MembershipFactory(
        school=school, user=UserFactory(email=f"member{next(_serial)}@school.test")
    )


# Models a generic build cannot make (a code pattern, a unique pair, ...).
MAKERS = {
    School: lambda school, member: school,
    Student: _student,
    Membership: _membership,
    Term: lambda school, member: Term.objects.create(
        school=school, name="Summer", starts_on=dt.date(2030, 4, 1), ends_on=dt.date(2030, 7, 20)
    ),
    ClosureDay: lambda school, member: ClosureDay.objects.create(
        school=school, date=dt.date(2030, 5, 6), reason="Bank holiday"
    ),
    # The school is its primary key, which a generic build leaves out.
    EvaluationRequest: lambda school, member: EvaluationRequest.objects.create(
        school=school, due_at=timezone.now(), requested_at=timezone.now()
    ),
}


# Fields a generic build must set although they may be null, by model label (a check
# constraint asks for one of them, say).
OVERRIDES = {
    "alerts.CaseEvidence": lambda school, member: {
        "observation": build(Observation, school, member)
    },
}


def _value(field, school):
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, models.EmailField):
        return f"x{next(_serial)}@school.test"
    if isinstance(field, models.UUIDField):
        return uuid.uuid4()
    if isinstance(field, models.DateTimeField):
        return timezone.now()
    if isinstance(field, models.DateField):
        return school.today() - dt.timedelta(days=1)
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.DecimalField):
        return decimal.Decimal("0.5")
    if isinstance(field, models.FloatField):
        return 0.5
    if isinstance(field, models.IntegerField):
        return 1
    if isinstance(field, models.JSONField):
        return {}
    if isinstance(field, models.CharField | models.TextField):
        return f"t{next(_serial)}"[: field.max_length or 10]
    raise TypeError(f"no generic value for {field!r}")


def build(model, school, member):
    """One saved `model` row owned by `school`, its foreign keys built at the same school."""
    if model in MAKERS:
        return MAKERS[model](school, member)
    if model is get_user_model():
        return member
    first_hop = getattr(model, "SCHOOL_PATH", "").split("__")[0]
    kwargs = OVERRIDES.get(model._meta.label, lambda school, member: {})(school, member)
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name in kwargs:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        if field.is_relation:
            if field.null and field.name != first_hop:
                continue
            kwargs[field.name] = build(field.related_model, school, member)
        elif not field.has_default() and not field.null:
            kwargs[field.name] = _value(field, school)
    try:
        with transaction.atomic():
            return model._default_manager.create(**kwargs)
    except (IntegrityError, TypeError, ValueError) as e:
        pytest.fail(
            f"Cannot build a {model._meta.label} for the admin tenancy test ({e}): add a maker "
            "for it to MAKERS in tests/schools/helpers.py."
        )
