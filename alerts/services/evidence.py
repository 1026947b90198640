"""The evidence rows of a case: each record that satisfied one of its rule windows, built
here and written here, whichever writer opens, reopens or updates the case.

A first evaluation of a large school opens hundreds of cases with thousands of evidence rows
at once: on PostgreSQL the rows of new cases go in with one COPY (no model instance per row,
no conflict possible); rows that may already exist (an open case brought up to date) are
inserted skipping those that do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, NamedTuple

from django.db import connection
from django.utils import timezone

from ..models import Case, CaseEvidence

if TYPE_CHECKING:
    from .grading import Assessment

# The evidence a case already holds: (case id, "observation" or "attendance", record id).
KnownEvidence = set[tuple[int, str, int]]


class EvidenceRow(NamedTuple):
    case_id: int
    rule_id: int | None
    observation_id: int | None
    attendance_id: int | None
    on_date: dt.date
    window_start: dt.date
    window_end: dt.date


def evidence_rows(
    case: Case, assessment: Assessment, known: Collection[tuple[int, str, int]] = ()
) -> list[EvidenceRow]:
    """The evidence of `assessment` for `case` that it does not hold yet (`known`)."""
    rows = []
    for (kind, record_id), (match, window) in assessment.refs().items():
        if (case.pk, kind, record_id) in known:
            continue
        rows.append(
            EvidenceRow(
                case.pk,
                match.rule.pk,
                record_id if kind == "observation" else None,
                record_id if kind == "attendance" else None,
                assessment.ref_dates[(kind, record_id)],
                window.start,
                window.end,
            )
        )
    return rows


def evidence_insert(rows: Sequence[EvidenceRow], *, new_cases: bool = False) -> None:
    """Write `rows`, all stamped with one time. `new_cases`: the cases were created in this
    transaction, so none of the rows can exist yet (one COPY on PostgreSQL); otherwise a row
    the case already holds is skipped."""
    if not rows:
        return
    now = timezone.now()
    if new_cases and connection.vendor == "postgresql":
        columns = ", ".join((*EvidenceRow._fields, "added_at"))
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(
                f"COPY {CaseEvidence._meta.db_table} ({columns}) FROM STDIN"
            ) as copy,
        ):
            for row in rows:
                copy.write_row((*row, now))
        return
    CaseEvidence.objects.bulk_create(
        [CaseEvidence(**row._asdict(), added_at=now) for row in rows],
        ignore_conflicts=not new_cases,
    )
