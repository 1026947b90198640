"""Hypothesis strategies for the property tests of the window counting: the rules the form
accepts, as counting Specs, and generated school data, both as the pure counting reads it
(test_counting_properties.py) and as rows to write to PostgreSQL
(test_decision_properties.py). Days are indices into a school-day calendar of `n_days`."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

from alerts import counting
from alerts.counting import Mark, SignEvent, Spec

SIGNS = ["ISOLATION", "DISTRESS", "FATIGUE", "LATE"]
REGISTER_STATUSES = [
    "present",
    "late",
    "authorised_absence",
    "unauthorised_absence",
    "not_required",
]


def sign_specs(signs: list[str], *, max_observers: int) -> st.SearchStrategy[Spec]:
    """Sign-pattern rules over `signs`, asking for up to `max_observers` observers."""
    return st.builds(
        Spec,
        kind=st.just(counting.SIGN_PATTERN),
        signs=st.frozensets(st.sampled_from(signs), min_size=1),
        count_unit=st.sampled_from([counting.COUNT_OBSERVATIONS, counting.COUNT_DAYS]),
        window_days=st.integers(1, 6),
        min_events=st.integers(1, 3),
        min_signs=st.integers(0, 3),
        min_observers=st.integers(0, max_observers),
        consecutive=st.integers(1, 4),
    )


def attendance_specs(thresholds: list[Fraction]) -> st.SearchStrategy[Spec]:
    """Attendance-rate rules with one of `thresholds` (per cent)."""
    return st.builds(
        Spec,
        kind=st.just(counting.ATTENDANCE_RATE),
        window_days=st.integers(1, 6),
        consecutive=st.integers(1, 4),
        threshold=st.sampled_from(thresholds),
    )


# The pure counting's input.


@st.composite
def sign_events(draw, n_days: int, max_size=60):
    """Sign events of up to 3 students from up to `max_size // 2` observations; an
    observation keeps one student, day and observer for all its signs, as in the database."""
    observations = draw(
        st.lists(
            st.tuples(
                st.integers(1, 3),  # student
                st.integers(0, n_days - 1),  # day
                st.sampled_from(["alice", "tom", "carol", counting.REGISTER]),
                st.frozensets(st.sampled_from(SIGNS), min_size=1, max_size=2),
            ),
            max_size=max_size // 2,
        )
    )
    return [
        SignEvent(student, day, sign, observer, ("observation", i))
        for i, (student, day, observer, signs) in enumerate(observations)
        for sign in sorted(signs)
    ]


@st.composite
def register_marks(draw, n_days: int):
    """Absent or not-required sessions of up to 3 students (present ones are no marks)."""
    sessions = draw(
        st.dictionaries(
            st.tuples(st.integers(1, 3), st.integers(0, n_days - 1), st.sampled_from("AP")),
            st.sampled_from(["absent", "not_required"]),
            max_size=60,
        )
    )
    return [
        Mark(student, day, kind == "absent", kind == "not_required", i)
        for i, ((student, day, _session), kind) in enumerate(sorted(sessions.items()))
    ]


# Rows for the database: students and observers are indices 0-2 into the test's own; a day
# is a school day's index, or a negative index into the off days (not school days).


def _day(n_days: int, n_off_days: int) -> st.SearchStrategy[int]:
    return st.one_of(st.integers(0, n_days - 1), st.integers(-n_off_days, -1))


def observation_rows(signs: list[str], *, n_days: int, n_off_days: int):
    """(student, day, observer, signs, withdrawn) of 10 to 80 observations."""
    return st.lists(
        st.tuples(
            st.integers(0, 2),
            _day(n_days, n_off_days),
            st.integers(0, 2),
            st.frozensets(st.sampled_from(signs), min_size=1, max_size=3),
            st.booleans(),
        ),
        min_size=10,
        max_size=80,
    )


def register_rows(*, n_days: int, n_off_days: int):
    """(student, day, session) -> register status, for 20 to 120 sessions."""
    return st.dictionaries(
        st.tuples(st.integers(0, 2), _day(n_days, n_off_days), st.sampled_from(["AM", "PM"])),
        st.sampled_from(REGISTER_STATUSES),
        min_size=20,
        max_size=120,
    )
