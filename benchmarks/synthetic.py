"""Synthetic schools with a known ground truth, for the rule lab's tests and benchmark.

Four kinds of student, drawn from a seeded random generator so a school is the same on
every run:

- withdrawing: from an onset day on, absent on some days of every school week (both
  sessions), until the outcome some weeks later (concern confirmed, or left the school, in
  which case the student is marked as left on that date);
- a bad spell: absent for most of one school week (now and then two in a row), and nothing
  after; a share of them were looked at and have the outcome "no concern found";
- irregular: absent on a day now and then all year (illness, appointments), no pattern; a
  share of them were looked at, "no concern found";
- everyone: noise, a random absent day now and then.

Codes only (S-0001...), never a name. The rows are written with bulk inserts.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from alerts.models import Outcome, OutcomeKind, OutcomeSource
from schools.calendar import school_days_between
from schools.models import AttendanceRecord, AttendanceStatus, School, Student

ABSENT = AttendanceStatus.UNAUTHORISED_ABSENCE


@dataclass
class Truth:
    """What the generator made: per student id, the kind and the absent days."""

    days: list[dt.date]
    kinds: dict[int, str] = field(default_factory=dict)  # withdrawing / bad_week / ordinary
    absent_days: dict[int, set[dt.date]] = field(default_factory=dict)
    outcomes: dict[int, tuple[str, dt.date]] = field(default_factory=dict)
    left_on: dict[int, dt.date] = field(default_factory=dict)
    onset: dict[int, dt.date] = field(default_factory=dict)


def generate_school(
    *,
    school: School,
    students: int,
    start: dt.date,
    end: dt.date,
    seed: int = 1,
    withdrawing_share: float = 0.08,
    bad_week_share: float = 0.15,
    irregular_share: float = 0.10,
    irregular_rate: float = 0.15,
    noise: float = 0.02,
    absent_days_per_week: tuple[int, int] = (1, 3),
    lead_weeks: tuple[int, int] = (4, 12),
    dense: bool = False,
) -> Truth:
    """Fill `school` with `students` students and their register over its school days from
    `start` to `end`, and return the ground truth. `dense` also writes a present mark for
    every other session (a register that records everything, as some systems export)."""
    rng = random.Random(seed)
    days = school_days_between(school, start, end)
    truth = Truth(days=days)
    created = Student.objects.bulk_create(
        Student(school=school, code=f"S-{n:04d}", year_group=7 + n % 6)
        for n in range(1, students + 1)
    )
    weeks = [days[i : i + 5] for i in range(0, len(days), 5)]
    marks: list[AttendanceRecord] = []
    outcomes: list[Outcome] = []
    for student in created:
        sid = student.pk
        roll = rng.random()
        absent: set[dt.date] = set()
        for day in days:
            if rng.random() < noise:
                absent.add(day)
        if roll < withdrawing_share and len(weeks) > 16:
            onset_week = rng.randrange(2, len(weeks) - lead_weeks[1] - 1)
            outcome_week = onset_week + rng.randint(*lead_weeks)
            for week in weeks[onset_week : outcome_week + 1]:
                absent.update(rng.sample(week, min(rng.randint(*absent_days_per_week), len(week))))
            outcome_on = weeks[outcome_week][-1]
            kind = OutcomeKind.LEFT_SCHOOL if rng.random() < 0.4 else OutcomeKind.CONCERN_CONFIRMED
            truth.kinds[sid] = "withdrawing"
            truth.onset[sid] = weeks[onset_week][0]
            truth.outcomes[sid] = (kind.value, outcome_on)
            if kind == OutcomeKind.LEFT_SCHOOL:
                truth.left_on[sid] = outcome_on
                absent = {d for d in absent if d <= outcome_on}
            outcomes.append(
                Outcome(student=student, kind=kind, on_date=outcome_on, source=OutcomeSource.IMPORT)
            )
        elif roll < withdrawing_share + bad_week_share and len(weeks) > 4:
            first = rng.randrange(1, len(weeks) - 2)
            spell = weeks[first : first + (2 if rng.random() < 0.25 else 1)]
            for week in spell:
                absent.update(rng.sample(week, min(rng.randint(3, 4), len(week))))
            week = spell[-1]
            truth.kinds[sid] = "bad_week"
            if rng.random() < 0.5:
                on = week[-1] + dt.timedelta(days=14)
                on = min(on, end)
                truth.outcomes[sid] = (OutcomeKind.NO_CONCERN.value, on)
                outcomes.append(
                    Outcome(
                        student=student,
                        kind=OutcomeKind.NO_CONCERN,
                        on_date=on,
                        source=OutcomeSource.IMPORT,
                    )
                )
        elif roll < withdrawing_share + bad_week_share + irregular_share:
            absent.update(d for d in days if rng.random() < irregular_rate)
            truth.kinds[sid] = "irregular"
            if rng.random() < 0.3:
                on = days[rng.randrange(len(days) // 2, len(days))]
                truth.outcomes[sid] = (OutcomeKind.NO_CONCERN.value, on)
                outcomes.append(
                    Outcome(
                        student=student,
                        kind=OutcomeKind.NO_CONCERN,
                        on_date=on,
                        source=OutcomeSource.IMPORT,
                    )
                )
        else:
            truth.kinds[sid] = "ordinary"
        truth.absent_days[sid] = absent
        for day in days:
            if sid in truth.left_on and day > truth.left_on[sid]:
                break
            for session in ("AM", "PM"):
                if day in absent:
                    marks.append(
                        AttendanceRecord(student=student, date=day, session=session, status=ABSENT)
                    )
                elif dense:
                    marks.append(
                        AttendanceRecord(
                            student=student,
                            date=day,
                            session=session,
                            status=AttendanceStatus.PRESENT,
                        )
                    )
    AttendanceRecord.objects.bulk_create(marks, batch_size=5000)
    Outcome.objects.bulk_create(outcomes)
    for sid, day in truth.left_on.items():
        Student.objects.filter(pk=sid).update(is_active=False, left_on=day)
    return truth
