"""Model instances from a hand-written SELECT, for the few reads every API write makes.

Why not the ORM there: compiling a queryset costs 0.4-1.1 ms of CPU on this project's
machines (the token with its account, the student with its school; profiled with
benchmarks/post_cpu.py), several times what PostgreSQL spends answering it. The observation
POST makes three such reads; written once by hand, the same rows cost a tenth.

The columns come from the models (`columns()`), so a new field is read without touching the
SQL, and the instances are the ORM's own (`Model.from_db`): saved, compared and related as any.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model

_M = TypeVar("_M", bound=Model)


def column(model: type[Model], field_name: str) -> str:
    """The quoted column of `model`'s field `field_name` (a foreign key's: its id column)."""
    name = model._meta.get_field(field_name).column  # type: ignore[union-attr]
    return connection.ops.quote_name(str(name))


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@functools.cache
def columns(model: type[Model], alias: str) -> str:
    """The SELECT list of every concrete column of `model`, from table alias `alias` (made
    once for each: the models do not change while the process runs)."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(str(f.column))}" for f in model._meta.concrete_fields)


def instance(model: type[_M], row: Sequence[Any], start: int = 0) -> tuple[_M, int]:
    """The `model` instance in `row` from position `start` (read by `columns(model, ...)`), and
    the position after it, where the next model's columns begin."""
    fields = model._meta.concrete_fields
    values = list(row[start : start + len(fields)])
    for i, field in enumerate(fields):
        # The conversions the ORM would apply (a JSON field's, say); plain columns have none.
        from_db_value = getattr(field, "from_db_value", None)
        if from_db_value is not None:
            values[i] = from_db_value(values[i], None, connection)
    obj = model.from_db(connection.alias, [f.attname for f in fields], values)
    return obj, start + len(fields)
