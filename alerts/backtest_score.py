"""A backtest's figures, from each student's first firing date and their outcome: pure
functions of plain values, so a test can check them against a direct count.

A student with a positive outcome flagged at least `min_lead_weeks` school weeks before its
date is a true positive; flagged later, or not at all, missed. A flagged student whose outcome
is negative is a false positive; one with no outcome (or "other") is counted apart and in
neither. The lead is counted in school weeks on the school's calendar.
"""

from __future__ import annotations

import bisect
import datetime as dt
import statistics
from collections.abc import Mapping, Sequence

from .models import NEGATIVE_OUTCOMES, POSITIVE_OUTCOMES

SCHOOL_WEEK = 5

TRUE_POSITIVE = "true_positive"
FALSE_POSITIVE = "false_positive"
MISSED = "missed"
FLAGGED_NO_OUTCOME = "flagged_no_outcome"
TRUE_NEGATIVE = "true_negative"
VERDICTS = (TRUE_POSITIVE, FALSE_POSITIVE, MISSED, FLAGGED_NO_OUTCOME, TRUE_NEGATIVE)


def school_days_from(days: Sequence[dt.date], earlier: dt.date, later: dt.date) -> int:
    """School days in `days` after `earlier` up to and including `later` (negative when
    `later` comes first): the lead of a flag on `earlier` for an outcome on `later`."""
    if later >= earlier:
        return bisect.bisect_right(days, later) - bisect.bisect_right(days, earlier)
    return -school_days_from(days, later, earlier)


def score(
    *,
    first_fired: Mapping[int, dt.date],
    outcomes: Mapping[int, tuple[str, dt.date]],
    students: Mapping[int, str],
    calendar: Sequence[dt.date],
    min_lead_weeks: int,
) -> dict:
    """The backtest's figures from each student's first firing date and outcome: pure, so a
    test can check it against a direct count. Only students in `students` (on roll) count."""
    rows = []
    counts = dict.fromkeys(VERDICTS, 0)
    counts["late"] = 0
    leads: list[float] = []
    needed = min_lead_weeks * SCHOOL_WEEK
    for student_id, code in students.items():
        fired = first_fired.get(student_id)
        kind, on_date = outcomes.get(student_id, (None, None))
        lead_days = school_days_from(calendar, fired, on_date) if fired and on_date else None
        late = False
        if kind in POSITIVE_OUTCOMES:
            if lead_days is not None and lead_days >= needed:
                verdict = TRUE_POSITIVE
                leads.append(lead_days / SCHOOL_WEEK)
            else:
                verdict = MISSED
                late = fired is not None
        elif kind in NEGATIVE_OUTCOMES:
            verdict = FALSE_POSITIVE if fired is not None else TRUE_NEGATIVE
        elif fired is not None:
            verdict = FLAGGED_NO_OUTCOME
        else:
            continue  # neither flagged nor known: nothing to say
        counts[verdict] += 1
        counts["late"] += late
        rows.append(
            {
                "student": code,
                "verdict": verdict,
                "late": late,
                "first_fired_on": fired.isoformat() if fired else None,
                "outcome": kind,
                "outcome_on": on_date.isoformat() if on_date else None,
                "lead_weeks": round(lead_days / SCHOOL_WEEK, 1) if lead_days is not None else None,
            }
        )
    tp, fp, missed = counts[TRUE_POSITIVE], counts[FALSE_POSITIVE], counts[MISSED]
    flagged = tp + fp + counts[FLAGGED_NO_OUTCOME] + counts["late"]
    rows.sort(key=lambda r: (VERDICTS.index(r["verdict"]), r["first_fired_on"] or "", r["student"]))
    return {
        "students_on_roll": len(students),
        "flagged": flagged,
        "counts": counts,
        "precision": round(tp / (tp + fp), 4) if tp + fp else None,
        "recall": round(tp / (tp + missed), 4) if tp + missed else None,
        "median_lead_weeks": round(statistics.median(leads), 1) if leads else None,
        "students": rows,
    }
