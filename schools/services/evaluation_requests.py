"""Asking for a school's rules to be evaluated soon after its records changed.

One statement, inside the transaction of the save: the first save after a run starts the
school's delay (`ALERTS_EVALUATION_DELAY_SECONDS`), later ones join it; a save while a worker
is evaluating the school asks for one more run. alerts/requests.py does the rest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import connection
from django.utils import timezone

# The observation insert writes the same in its own statement (observations._INSERT_WITH_SIGNS).
REQUEST_UPSERT = """
INSERT INTO schools_evaluationrequest (school_id, due_at, requested_at, claimed_at, again)
{source}
ON CONFLICT (school_id) DO UPDATE
    SET again = true, requested_at = excluded.requested_at
    WHERE schools_evaluationrequest.claimed_at IS NOT NULL
"""


def request_times() -> tuple[dt.datetime, dt.datetime]:
    """(due, now) of a request made now."""
    now = timezone.now()
    return now + dt.timedelta(seconds=settings.ALERTS_EVALUATION_DELAY_SECONDS), now


def evaluation_request(*, school_ids: Iterable[int]) -> None:
    """Ask for the evaluation of each of `school_ids` (one statement each; no broker)."""
    due, now = request_times()
    sql = REQUEST_UPSERT.format(source="VALUES (%s, %s, %s, NULL, false)")
    with connection.cursor() as cursor:
        for school_id in sorted(set(school_ids)):
            cursor.execute(sql, [school_id, due, now])
