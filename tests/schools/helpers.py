"""Helpers shared by the schools tests: row counts, so "nothing written" is asserted, not hoped."""

from __future__ import annotations

from django.apps import apps

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
