"""From a teacher's save to the counsellor's in-app notice, with a worker running.

Not measurable yet: a save does not queue an evaluation. The counsellor hears of a pattern at
the next daily run (ALERTS_EVALUATION_HOUR), up to a day after the observation that completed
it. When a save queues a debounced evaluation, `measure_save_to_notice` is the place to time
it: start a Celery worker on this database and broker, save the observation that completes a
pattern through the API, and time until the designated counsellor's Notice row exists.
"""

from __future__ import annotations

from .setup import Target

TITLE = "Save -> counsellor's in-app notice"
NOT_MEASURED = "not measured: no debounced evaluation"


def measure_save_to_notice() -> float | None:
    """Seconds from the save that completes a pattern to the counsellor's in-app notice, or
    None while no save queues an evaluation."""
    return None


def run() -> dict:
    seconds = measure_save_to_notice()
    measured = NOT_MEASURED if seconds is None else f"{seconds:.1f} s"
    target = Target(
        "save -> counsellor's in-app notice (debounced, worker running)",
        measured,
        "<= the configured delay + 30 s",
        None,
    )
    return {"save -> notice": measured, "targets": [target]}
