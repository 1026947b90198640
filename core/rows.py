"""Model instances from a hand-written SELECT, for the few reads every API write makes.

Why not the ORM there: compiling a queryset costs 0.4-1.1 ms of CPU on this project's
machines (the token with its account, the student with its school; profiled with
benchmarks/post_cpu.py), several times what PostgreSQL spends answering it. The observation
POST makes three such reads; written once by hand, the same rows cost a tenth.

The columns come from the models (`columns()`), so a new field is read without touching the
SQL, and the instances are the ORM's own (`Model.from_db`): saved, compared and related as any.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.postgresql.base import (
    TIMESTAMPTZ_OID,
    CursorDebugWrapper,
    ServerBindingCursor,
)
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.db.backends.utils import CursorWrapper
from django.db.models import Model
from psycopg.pq import Format

_M = TypeVar("_M", bound=Model)


@functools.cache
def column(model: type[Model], field_name: str) -> str:
    """The quoted column of `model`'s field `field_name` (a foreign key's: its id column).
    Made once for each: the SQL of every API write names a few, on every request."""
    name = model._meta.get_field(field_name).column  # type: ignore[union-attr]
    return connection.ops.quote_name(str(name))


@functools.cache
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
    for i, (col, converters) in enumerate(_converters(model, connection.vendor)):
        for convert in converters:
            values[i] = convert(values[i], col, connection)
    obj = model.from_db(connection.alias, [f.attname for f in fields], values)
    return obj, start + len(fields)


@functools.cache
def _converters(model: type[Model], vendor: str) -> list[tuple[Any, list]]:
    """For each concrete column of `model`, the conversions the ORM applies to a value read:
    the database backend's (SQLite's text to datetime or UUID, say; PostgreSQL's driver
    returns most values typed already) and the field's own (a JSON field's). Per model and
    database vendor; the models do not change while the process runs."""
    found = []
    for field in model._meta.concrete_fields:
        col = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        found.append((col, converters))
    return found


@contextlib.contextmanager
def prepared_cursor() -> Iterator[CursorWrapper]:
    """A cursor for the few statements every API write runs: psycopg's server-side binding
    cursor (Django's own class), so psycopg prepares each distinct statement on the server
    once a connection has run it `prepare_threshold` times (core/settings.py). From its next
    run on, PostgreSQL only binds and executes it, without parsing and planning it again.
    Django's other cursors bind on the client and are never prepared.

    A Django cursor in every other way: logged with the rest (query counts, DEBUG),
    `execute_wrapper`s applied, database errors wrapped. Parameters are bound on the server,
    so its statements must name a type wherever PostgreSQL cannot infer one (`%s::date[]`).
    Off (a plain cursor) when `DB_PREPARED_STATEMENTS` is false, which a transaction-pooling
    proxy in front of PostgreSQL needs (docs/OPERATIONS.md), and on other databases.
    """
    conn = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, not the proxy to it
    if conn.vendor != "postgresql" or not settings.DB_PREPARED_STATEMENTS:
        with conn.cursor() as cursor:
            yield cursor
        return
    conn.close_if_health_check_failed()
    conn.ensure_connection()
    conn.validate_thread_sharing()
    with conn.wrap_database_errors:
        # django-stubs declare this class without its psycopg base, constructor included.
        raw: Any = ServerBindingCursor(conn.connection)  # type: ignore[call-arg]
    # The time zone of the timestamps read, as Django's own cursors set it (create_cursor).
    loader = conn.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    if conn.timezone != loader.timezone:
        register_tzloader(conn.timezone, raw)
    wrapped = _PreparedDebugWrapper(raw, conn) if conn.queries_logged else conn.make_cursor(raw)
    with wrapped:
        yield wrapped


class _PreparedDebugWrapper(CursorDebugWrapper):
    """Django's logging cursor, logging the statement with its values as Django's own
    cursors do: Django reads the text from the driver's last query, which psycopg leaves
    empty when it runs a prepared statement by its name."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(self.db.ops.compose_sql(sql, params), params):
            return CursorWrapper.execute(self, sql, params)  # the wrappers, not a second log
