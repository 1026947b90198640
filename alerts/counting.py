"""The window counting of the warning-sign rules, as pure functions of plain rows.

No database and no Django here: alerts/engine.py reads the rows (a fixed number of queries per
school), turns dates into school-day indices, and calls `rule_hits`. Keeping this part pure is
what lets hypothesis property-test it (tests/alerts/test_counting_properties.py).

Day indices count school days (0, 1, 2, ... on the school's calendar), so a window of five
indices is a school week whatever holidays and closures lie between its days. A window ends
on an index and covers the `window_days` indices up to and including it; a rule fires at an
end index when each of its `consecutive` windows, back to back, ending there, meets the
per-window condition and the whole span meets the span conditions (distinct signs, distinct
observers). A rule needs its whole span on the calendar: before that it cannot fire.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

SIGN_PATTERN = "sign_pattern"
ATTENDANCE_RATE = "attendance_rate"
COUNT_OBSERVATIONS = "observations"
COUNT_DAYS = "days"
SESSIONS_PER_DAY = 2
# Register marks that count as events carry this observer: the register is one witness.
REGISTER = "register"


@dataclass(frozen=True, slots=True)
class Spec:
    """What a rule matches, without the database (see alerts.models.WarningRule)."""

    kind: str
    signs: frozenset[str] = frozenset()
    count_unit: str = COUNT_OBSERVATIONS
    window_days: int = 5
    min_events: int = 1
    min_signs: int = 0
    min_observers: int = 0
    consecutive: int = 1
    # Attendance rules: fires when attended / possible is below this percentage.
    threshold: Fraction | None = None

    @property
    def span(self) -> int:
        return self.window_days * self.consecutive


# The two kinds of row are named tuples, not frozen dataclasses: the engine builds one per
# row read (tens of thousands a school), and a tuple is made in a third of the time.
class SignEvent(NamedTuple):
    """A sign seen on a school day: from an observation, or from a register mark."""

    student: int
    day: int
    sign: str
    observer: object  # a staff id, REGISTER, or None when not known
    ref: tuple[str, int]  # ("observation", id) or ("attendance", id)


class Mark(NamedTuple):
    """A register exception for one session: absent, or not required (not counted)."""

    student: int
    day: int
    absent: bool
    not_required: bool
    ref: int


@dataclass(frozen=True, slots=True)
class Window:
    start: int
    end: int
    # Sign rules: the events counted (observations or days); attendance: sessions attended.
    count: int
    possible: int = 0
    refs: frozenset[tuple[str, int]] = frozenset()
    signs: frozenset[str] = frozenset()
    observers: frozenset[object] = frozenset()

    @property
    def rate(self) -> Fraction | None:
        """Attendance rate in percent (attendance rules only)."""
        return Fraction(self.count * 100, self.possible) if self.possible else None


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule firing for one student at one end index."""

    student: int
    end: int
    windows: tuple[Window, ...]  # oldest first
    signs: frozenset[str]
    observers: frozenset[object]
    # The first index of the longest run of back-to-back windows, ending at `end`, that each
    # meet the per-window condition: how long the pattern has persisted.
    run_start: int


class _Student:
    """One student's rows, bucketed by day, with per-window results memoised (a preview asks
    for every end index, and consecutive ends share windows)."""

    def __init__(self, spec: Spec, student_id: int) -> None:
        self.spec = spec
        self.student_id = student_id
        self.events: dict[int, list[SignEvent]] = defaultdict(list)
        self.marks: dict[int, list[Mark]] = defaultdict(list)
        self._windows: dict[int, Window] = {}

    def window(self, end: int) -> Window:
        cached = self._windows.get(end)
        if cached is None:
            start = end - self.spec.window_days + 1
            if self.spec.kind == ATTENDANCE_RATE:
                cached = self._attendance_window(start, end)
            else:
                cached = self._sign_window(start, end)
            self._windows[end] = cached
        return cached

    def _sign_window(self, start: int, end: int) -> Window:
        refs: set[tuple[str, int]] = set()
        signs: set[str] = set()
        observers: set[object] = set()
        days_with_event = 0
        for day in range(start, end + 1):
            events = self.events.get(day)
            if not events:
                continue
            days_with_event += 1
            for event in events:
                refs.add(event.ref)
                signs.add(event.sign)
                if event.observer is not None:
                    observers.add(event.observer)
        count = days_with_event if self.spec.count_unit == COUNT_DAYS else len(refs)
        return Window(start, end, count, 0, frozenset(refs), frozenset(signs), frozenset(observers))

    def _attendance_window(self, start: int, end: int) -> Window:
        possible = SESSIONS_PER_DAY * (end - start + 1)
        absent = 0
        refs: set[tuple[str, int]] = set()
        for day in range(start, end + 1):
            for mark in self.marks.get(day, ()):
                if mark.not_required:
                    possible -= 1
                elif mark.absent:
                    absent += 1
                    refs.add(("attendance", mark.ref))
        return Window(start, end, possible - absent, possible, frozenset(refs))

    def holds(self, window: Window) -> bool:
        spec = self.spec
        if spec.kind == ATTENDANCE_RATE:
            # Exact integer arithmetic: 9 of 10 sessions is 90%, which is not below 90%.
            threshold = spec.threshold
            return (
                window.possible > 0
                and threshold is not None
                and window.count * 100 * threshold.denominator
                < threshold.numerator * window.possible
            )
        return window.count >= spec.min_events

    def hit_at(self, end: int, extend: bool) -> Hit | None:
        spec = self.spec
        if end - spec.span + 1 < 0:
            return None
        windows = []
        for k in range(spec.consecutive):
            window = self.window(end - k * spec.window_days)
            if not self.holds(window):
                return None
            windows.append(window)
        signs = frozenset().union(*(w.signs for w in windows))
        observers = frozenset().union(*(w.observers for w in windows))
        if spec.kind == SIGN_PATTERN and (
            len(signs) < spec.min_signs or len(observers) < spec.min_observers
        ):
            return None
        run_start = windows[-1].start
        if extend:
            earlier = windows[-1].start - 1
            while earlier - spec.window_days + 1 >= 0:
                window = self.window(earlier)
                if not self.holds(window):
                    break
                run_start = window.start
                earlier = window.start - 1
        return Hit(self.student_id, end, tuple(reversed(windows)), signs, observers, run_start)


def _students(
    spec: Spec, events: Iterable[SignEvent], marks: Iterable[Mark]
) -> dict[int, _Student]:
    students: dict[int, _Student] = {}

    def get(student_id: int) -> _Student:
        state = students.get(student_id)
        if state is None:
            state = students[student_id] = _Student(spec, student_id)
        return state

    if spec.kind == ATTENDANCE_RATE:
        for mark in marks:
            get(mark.student).marks[mark.day].append(mark)
    else:
        for event in events:
            if event.sign in spec.signs:
                get(event.student).events[event.day].append(event)
    return students


def rule_hits(
    spec: Spec,
    *,
    events: Iterable[SignEvent] = (),
    marks: Iterable[Mark] = (),
    ends: Sequence[int],
    extend: bool = False,
) -> dict[int, list[Hit]]:
    """For each student, the hits of the rule at each of `ends` (in the order given).

    Students without any row cannot fire: a sign rule needs events, and a student with no
    register exceptions attended every possible session. `extend` also measures how far back
    the pattern runs (Hit.run_start); the evaluation wants it, a preview does not.
    """
    result: dict[int, list[Hit]] = {}
    for student_id, state in _students(spec, events, marks).items():
        hits = [hit for end in ends if (hit := state.hit_at(end, extend)) is not None]
        if hits:
            result[student_id] = hits
    return result


def firing_ends(
    spec: Spec,
    *,
    events: Iterable[SignEvent] = (),
    marks: Iterable[Mark] = (),
    n_days: int,
) -> dict[int, list[int]]:
    """Every end index in 0..n_days-1 at which the rule fires, per student (for previews and
    property tests)."""
    hits = rule_hits(spec, events=events, marks=marks, ends=range(n_days))
    return {student: [h.end for h in student_hits] for student, student_hits in hits.items()}


def episode_starts(ends: Sequence[int]) -> list[int]:
    """The ends at which a rule starts firing again after not firing on the school day before:
    the first day of each episode."""
    return [end for i, end in enumerate(ends) if i == 0 or ends[i - 1] != end - 1]
