"""Property tests of the pure window counting (alerts/counting.py), with hypothesis."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from alerts import counting
from alerts.counting import Mark, SignEvent, Spec

from . import strategies

N_DAYS = 40
SIGNS = strategies.SIGNS

count_specs = strategies.sign_specs(SIGNS, max_observers=3)
attendance_specs = strategies.attendance_specs(
    [Fraction(50), Fraction(80), Fraction(90), Fraction(95)]
)
events = strategies.sign_events(n_days=N_DAYS)
marks = strategies.register_marks(n_days=N_DAYS)


def _moved_back(after: dict, by: int, span: int) -> dict:
    """`after`'s matches moved back by `by`, keeping those whose whole span was on the
    calendar before the move: nearer the start, a window that did not fit before fits now
    (the days it reaches back to are empty), so those ends have nothing to compare with."""
    moved = {s: [e - by for e in ends if e - by >= span - 1] for s, ends in after.items()}
    return {s: ends for s, ends in moved.items() if ends}


def _shift_events(rows, by):
    return [SignEvent(e.student, e.day + by, e.sign, e.observer, e.ref) for e in rows]


def _shift_marks(rows, by):
    return [Mark(m.student, m.day + by, m.absent, m.not_required, m.ref) for m in rows]


@settings(max_examples=200, deadline=None)
@given(spec=count_specs, base=events, extra=events)
def test_adding_events_never_removes_a_match(spec, base, extra):
    # Extra observations get their own ids, so they are new observations, not new signs of old.
    extra = [SignEvent(e.student, e.day, e.sign, e.observer, ("extra", e.ref[1])) for e in extra]
    before = counting.firing_ends(spec, events=base, n_days=N_DAYS)
    after = counting.firing_ends(spec, events=base + extra, n_days=N_DAYS)
    for student, ends in before.items():
        assert set(ends) <= set(after.get(student, ())), student


@settings(max_examples=200, deadline=None)
@given(spec=count_specs, rows=events, weeks=st.integers(1, 4))
def test_moving_all_events_by_whole_windows_moves_the_matches(spec, rows, weeks):
    by = weeks * spec.window_days
    before = counting.firing_ends(spec, events=rows, n_days=N_DAYS)
    after = counting.firing_ends(spec, events=_shift_events(rows, by), n_days=N_DAYS + by)
    assert _moved_back(after, by, spec.span) == before


@settings(max_examples=200, deadline=None)
@given(spec=count_specs, rows=events, weeks=st.integers(1, 4))
def test_moving_all_events_by_whole_school_weeks_moves_the_matches(spec, rows, weeks):
    """The issue's wording: by whole school weeks (5 school days), whatever the rule's window
    length, since windows are counted back from each evaluation day."""
    by = weeks * 5
    before = counting.firing_ends(spec, events=rows, n_days=N_DAYS)
    after = counting.firing_ends(spec, events=_shift_events(rows, by), n_days=N_DAYS + by)
    assert _moved_back(after, by, spec.span) == before


@settings(max_examples=200, deadline=None)
@given(spec=attendance_specs, rows=marks, weeks=st.integers(1, 4))
def test_moving_all_register_marks_by_whole_windows_moves_the_matches(spec, rows, weeks):
    by = weeks * spec.window_days
    before = counting.firing_ends(spec, marks=rows, n_days=N_DAYS)
    after = counting.firing_ends(spec, marks=_shift_marks(rows, by), n_days=N_DAYS + by)
    assert _moved_back(after, by, spec.span) == before


@settings(max_examples=200, deadline=None)
@given(spec=attendance_specs, rows=marks, extra=marks)
def test_another_absence_never_removes_an_attendance_match(spec, rows, extra):
    taken = {(m.student, m.day) for m in rows}
    # Only absences on days with no mark yet (a session has one mark).
    extra = [
        Mark(m.student, m.day, True, False, 1000 + m.ref)
        for m in extra
        if (m.student, m.day) not in taken
    ]
    extra = list({(m.student, m.day): m for m in extra}.values())
    before = counting.firing_ends(spec, marks=rows, n_days=N_DAYS)
    after = counting.firing_ends(spec, marks=rows + extra, n_days=N_DAYS)
    for student, ends in before.items():
        assert set(ends) <= set(after.get(student, ())), student


@settings(max_examples=200, deadline=None)
@given(spec=count_specs, rows=events)
def test_a_match_needs_every_window_to_hold(spec, rows):
    """Against a direct re-count: each firing end has `consecutive` windows that each hold
    at least `min_events` events, and the span meets the distinct-sign and observer floors."""
    fired = counting.firing_ends(spec, events=rows, n_days=N_DAYS)
    for student, ends in fired.items():
        mine = [e for e in rows if e.student == student and e.sign in spec.signs]
        for end in ends:
            start = end - spec.span + 1
            assert start >= 0
            for k in range(spec.consecutive):
                lo = start + k * spec.window_days
                hi = lo + spec.window_days - 1
                inside = [e for e in mine if lo <= e.day <= hi]
                unit = (
                    {e.day for e in inside}
                    if spec.count_unit == counting.COUNT_DAYS
                    else {e.ref for e in inside}
                )
                assert len(unit) >= spec.min_events
            span = [e for e in mine if start <= e.day <= end]
            assert len({e.sign for e in span}) >= spec.min_signs
            assert len({e.observer for e in span}) >= spec.min_observers


def test_one_observation_never_fires_the_documented_withdrawal_rule():
    spec = Spec(
        kind=counting.SIGN_PATTERN,
        signs=frozenset(SIGNS),
        min_events=2,
        min_signs=2,
        min_observers=2,
        consecutive=3,
    )
    rows = [SignEvent(1, 20, s, "alice", ("observation", 1)) for s in SIGNS]
    assert counting.firing_ends(spec, events=rows, n_days=N_DAYS) == {}


def test_episode_starts_are_the_first_day_of_each_run():
    assert counting.episode_starts([3, 4, 5, 9, 10, 14]) == [3, 9, 14]
    assert counting.episode_starts([]) == []
