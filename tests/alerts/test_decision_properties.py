"""The SQL decision (alerts/decision.py) against the pure counting (alerts/counting.py), the
reference, on generated data: the same students fire at the same end indices, for any rule
the form accepts.

Each example writes its rows to PostgreSQL (observations with their signs, withdrawn or not,
register marks of every status, some rows on days that are not school days), builds the pure
rows from the same generated data independently, and compares every end index.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, event, example, given, settings, target
from hypothesis import strategies as st

from alerts import counting, decision
from alerts.counting import Mark, SignEvent, Spec
from schools.models import AttendanceRecord, Observation, ObservationSign
from tests.factories import StudentFactory, UserFactory

from . import strategies

pytestmark = pytest.mark.django_db

SIGNS = [*strategies.SIGNS, "ABSENCE"]
N_DAYS = 30
# School days: weekdays from a Monday; the weekend between them is not a school day.
FIRST = dt.date(2026, 1, 5)
ALL_DATES = [FIRST + dt.timedelta(days=i) for i in range(N_DAYS * 7 // 5 + 2)]
DAYS = [d for d in ALL_DATES if d.weekday() < 5][:N_DAYS]
OFF_DAYS = [d for d in ALL_DATES if d.weekday() >= 5 and d < DAYS[-1]]

sign_specs = strategies.sign_specs(SIGNS, max_observers=4)
attendance_specs = strategies.attendance_specs(
    [Fraction(50), Fraction(80), Fraction(90), Fraction("92.5"), Fraction(100)]
)
observations = strategies.observation_rows(SIGNS, n_days=N_DAYS, n_off_days=len(OFF_DAYS))
marks = strategies.register_rows(n_days=N_DAYS, n_off_days=len(OFF_DAYS))


@pytest.fixture
def world(school_a):
    students = [StudentFactory(school=school_a, code=f"S-{9000 + i}") for i in range(3)]
    staff = [UserFactory() for _ in range(3)]
    return school_a, students, staff


def _date(day: int) -> dt.date:
    return DAYS[day] if day >= 0 else OFF_DAYS[day]


def _write(school, students, staff, observed, marked):
    """The generated rows in PostgreSQL; returns the pure rows built from the same data."""
    Observation.objects.filter(student__school=school).delete()
    AttendanceRecord.objects.filter(student__school=school).delete()
    withdrawn_at = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    rows = Observation.objects.bulk_create(
        Observation(
            student=students[s],
            observed_on=_date(day),
            recorded_by=staff[by],
            withdrawn_at=withdrawn_at if withdrawn else None,
        )
        for s, day, by, _signs, withdrawn in observed
    )
    ObservationSign.objects.bulk_create(
        ObservationSign(observation=o, sign=sign)
        for o, (_s, _d, _by, signs, _w) in zip(rows, observed, strict=True)
        for sign in signs
    )
    records = AttendanceRecord.objects.bulk_create(
        AttendanceRecord(student=students[s], date=_date(day), session=session, status=status)
        for (s, day, session), status in marked.items()
    )
    events, register, pure_marks = [], [], []
    for o, (s, day, by, signs, withdrawn) in zip(rows, observed, strict=True):
        if withdrawn or day < 0:
            continue
        for sign in signs:
            events.append(SignEvent(students[s].pk, day, sign, staff[by].pk, ("observation", o.pk)))
    for r, ((s, day, _session), status) in zip(records, marked.items(), strict=True):
        if day < 0 or status == "present":
            continue
        absent = status in ("authorised_absence", "unauthorised_absence")
        pure_marks.append(Mark(students[s].pk, day, absent, status == "not_required", r.pk))
        if status == "late" or absent:
            sign = "LATE" if status == "late" else "ABSENCE"
            ref = ("attendance", r.pk)
            register.append(SignEvent(students[s].pk, day, sign, counting.REGISTER, ref))
    return events, register, pure_marks


def _fired(hits) -> None:
    """Steer the examples towards rules that fire (sparse rows rarely do), and say how often."""
    target(float(sum(len(h) for h in hits.values())))
    event("fired" if hits else "nothing fired")


def _pure(spec, events, marks_):
    hits = counting.rule_hits(spec, events=events, marks=marks_, ends=range(N_DAYS))
    _fired(hits)
    return {s: [h.end for h in student_hits] for s, student_hits in hits.items()}


SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(spec=sign_specs, observed=observations, marked=marks, use_register=st.booleans())
# An observer seen exactly one span before the end no longer counts for it.
@example(
    spec=Spec(counting.SIGN_PATTERN, frozenset({"ISOLATION"}), window_days=2, min_observers=2),
    observed=[(0, day, 0, frozenset({"ISOLATION"}), False) for day in (0, 8)]
    + [(0, day, 1, frozenset({"ISOLATION"}), False) for day in (1, 2)],
    marked={},
    use_register=False,
)
def test_sign_rules_fire_in_sql_where_the_pure_counting_fires(
    world, spec, observed, marked, use_register
):
    school, students, staff = world
    events, register, _marks = _write(school, students, staff, observed, marked)
    expected = _pure(spec, events + register if use_register else events, ())
    got = decision.firing(
        school_id=school.pk, spec=spec, use_register=use_register, days=DAYS, first_end=0
    )
    assert got == expected


@SETTINGS
@given(spec=attendance_specs, observed=st.just([]), marked=marks)
def test_attendance_rules_fire_in_sql_where_the_pure_counting_fires(world, spec, observed, marked):
    school, students, staff = world
    _events, _register, pure_marks = _write(school, students, staff, observed, marked)
    expected = _pure(spec, (), pure_marks)
    got = decision.firing(school_id=school.pk, spec=spec, use_register=True, days=DAYS, first_end=0)
    assert got == expected


@SETTINGS
@given(
    spec=st.one_of(sign_specs, attendance_specs),
    observed=observations,
    marked=marks,
    use_register=st.booleans(),
)
def test_the_daily_decision_of_the_last_day_alone_agrees_with_the_pure_counting(
    world, spec, observed, marked, use_register
):
    """The evaluation's own statement (the last day only: blocks, a GROUP BY, the rows
    reached through the school's students) against the pure counting of that one end."""
    school, students, staff = world
    events, register, pure_marks = _write(school, students, staff, observed, marked)
    last = N_DAYS - 1
    hits = counting.rule_hits(
        spec,
        events=events + register if use_register else events,
        marks=pure_marks,
        ends=[last],
    )
    _fired(hits)
    expected = {s: [h.end for h in student_hits] for s, student_hits in hits.items()}
    got = decision.firing(
        school_id=school.pk, spec=spec, use_register=use_register, days=DAYS, first_end=last
    )
    assert got == expected


@SETTINGS
@given(
    spec=st.one_of(sign_specs, attendance_specs),
    observed=observations,
    marked=marks,
    first_end=st.integers(0, N_DAYS - 1),
    cutoff=st.integers(0, N_DAYS - 1),
)
def test_a_later_first_end_a_cutoff_and_some_students_give_the_same_answer(
    world, spec, observed, marked, first_end, cutoff
):
    """What the evaluation and the preview ask: only the ends from `first_end` on, rows on or
    before a student's cutoff date left out, only some students; the days before
    `first_end`'s span are not read."""
    school, students, staff = world
    events, register, pure_marks = _write(school, students, staff, observed, marked)
    cut_student = students[0].pk
    events = [e for e in events + register if not (e.student == cut_student and e.day <= cutoff)]
    pure_marks = [m for m in pure_marks if not (m.student == cut_student and m.day <= cutoff)]
    chosen = {students[0].pk, students[1].pk}
    lo = max(max(first_end, spec.span - 1) - spec.span + 1, 0)
    # The pure counting over the days the SQL reads (from `lo`), indices moved back by lo.
    shifted_events = [
        SignEvent(e.student, e.day - lo, e.sign, e.observer, e.ref)
        for e in events
        if e.day >= lo and e.student in chosen
    ]
    shifted_marks = [
        Mark(m.student, m.day - lo, m.absent, m.not_required, m.ref)
        for m in pure_marks
        if m.day >= lo and m.student in chosen
    ]
    hits = counting.rule_hits(
        spec,
        events=shifted_events,
        marks=shifted_marks,
        ends=range(max(first_end, spec.span - 1) - lo, N_DAYS - lo),
    )
    _fired(hits)
    expected = {s: [h.end + lo for h in student_hits] for s, student_hits in hits.items()}
    got = decision.firing(
        school_id=school.pk,
        spec=spec,
        use_register=True,
        days=DAYS,
        first_end=first_end,
        students=chosen,
        not_before={cut_student: DAYS[cutoff]},
    )
    assert got == expected


@SETTINGS
@given(
    spec=st.one_of(sign_specs, attendance_specs),
    observed=observations,
    marked=marks,
    end=st.integers(0, N_DAYS - 1),
)
def test_the_decision_on_one_day_is_the_pure_decision_on_that_day(
    world, spec, observed, marked, end
):
    """The daily evaluation's question (the windows counted back from one day, a GROUP BY per
    window in SQL): the same students as the pure counting at that end."""
    school, students, staff = world
    events, register, pure_marks = _write(school, students, staff, observed, marked)
    hits = counting.rule_hits(spec, events=events + register, marks=pure_marks, ends=[end])
    _fired(hits)
    got = decision.firing(
        school_id=school.pk, spec=spec, use_register=True, days=DAYS[: end + 1], first_end=end
    )
    assert set(got) == set(hits)
    assert all(ends == [end] for ends in got.values())
