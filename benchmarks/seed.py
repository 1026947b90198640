"""Generated schools for the benchmarks (and the SQL reference's test): a school year of
register marks and observations at realistic rates, so that each of the three default rules
has students to find.

Every student has ordinary noise: a register exception on about 3.5% of sessions (mostly
absences, some late marks, a few "not required") and up to eight ordinary observations a year.
On top, some students live through an episode of one of the documented patterns, a stretch of
school days that is still going on at the evaluation date for about half of them:

- persistent absence (6% of students by default): each session of the episode missed with
  probability 0.3 -- most such weeks fall below the 90% line, not all;
- irregular sleep (4%): late in the morning on 45% of the episode's days, seen asleep in class
  (FATIGUE) on 20%;
- withdrawal (2%): an observation on 55% of the episode's days naming one or two withdrawal
  signs, by one of the three members of staff who teach the student.

And the edges a rule must get right: whole days "not required" for one year group (a trip),
3% of observations withdrawn as entered by mistake, 1% of students no longer active, context
signs (bullying, setback, strain at home) for 3% of students on any calendar day, weekends
included. The school calendar has three terms a year with one closure day each, so windows of
school days straddle holidays.

Rows are written with COPY: a district of 100,000 students is about 1.5 million register rows.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from dataclasses import dataclass, field

WITHDRAWAL = ["ISOLATION", "REFUSES_CONTACT", "DISTRESS", "LOW_MOTIVATION", "SELF_CARE"]
NOISE = ["ISOLATION", "FATIGUE", "LATE", "DIGITAL_ESCAPE", "SETBACK"]
CONTEXT = ["BULLYING", "SETBACK", "FAMILY_STRAIN"]
ABSENT = ["authorised_absence", "unauthorised_absence"]
SESSIONS = ("AM", "PM")
# School days of records behind the evaluation date: about a school year.
RECORD_DAYS = 195


@dataclass(frozen=True)
class Rates:
    """How often each thing happens; the defaults are the benchmark's."""

    exception: float = 0.035  # a register exception on a session, anyone
    chronic: float = 0.06  # students with a persistent-absence episode
    chronic_absent: float = 0.3  # a session missed during one
    sleep: float = 0.04
    sleep_late: float = 0.45
    sleep_fatigue: float = 0.2
    withdrawal: float = 0.02
    withdrawal_observed: float = 0.55
    ongoing: float = 0.5  # an episode still going on at the evaluation date
    withdrawn_observation: float = 0.03
    inactive: float = 0.01
    context: float = 0.03
    noise_observations: int = 8  # at most, per student and year


@dataclass
class Seeded:
    schools: list = field(default_factory=list)
    students: int = 0
    marks: int = 0
    observations: int = 0
    episodes: dict[str, int] = field(default_factory=lambda: dict(absence=0, sleep=0, withdrawal=0))

    def add(self, other: Seeded) -> None:
        self.schools += other.schools
        self.students += other.students
        self.marks += other.marks
        self.observations += other.observations
        for key, value in other.episodes.items():
            self.episodes[key] += value


def calendar(on_date: dt.date) -> tuple[list[tuple[str, dt.date, dt.date]], list[dt.date]]:
    """Terms (three a year, for the school year of `on_date` and the one before) and one
    closure day in each term."""
    year = on_date.year if on_date.month >= 8 else on_date.year - 1
    terms, closures = [], []
    for y in (year - 1, year):
        for name, start, end, closed in (
            ("Autumn", dt.date(y, 9, 1), dt.date(y, 12, 18), dt.date(y, 10, 23)),
            ("Spring", dt.date(y + 1, 1, 5), dt.date(y + 1, 3, 27), dt.date(y + 1, 2, 16)),
            ("Summer", dt.date(y + 1, 4, 13), dt.date(y + 1, 7, 17), dt.date(y + 1, 5, 25)),
        ):
            terms.append((f"{name} {y}", start, end))
            while closed.weekday() >= 5:
                closed += dt.timedelta(days=1)
            closures.append(closed)
    return terms, closures


def _gaps(rng: random.Random, p: float, n: int):
    """The indices in 0..n-1 that a Bernoulli(p) process hits, by geometric skipping (a
    random draw per hit, not per index)."""
    if p <= 0:
        return
    log_q = math.log(1.0 - p)
    i = -1
    while True:
        i += int(math.log(1.0 - rng.random()) / log_q) + 1
        if i >= n:
            return
        yield i


def _episode(rng: random.Random, n_days: int, low: int, high: int, ongoing: float):
    length = min(rng.randint(low, high), n_days)
    end = n_days - 1 if rng.random() < ongoing else rng.randint(length - 1, n_days - 1)
    return range(end - length + 1, end + 1)


def seed_school(
    code: str,
    *,
    students: int,
    on_date: dt.date,
    rng: random.Random,
    rates: Rates | None = None,
    dense: bool = False,
) -> Seeded:
    """A school with `students` students and a school year of records up to `on_date`.
    `dense`: every session is in the register, present ones too (as when an information
    system pushes its whole register through the API), not only the exceptions."""
    from django.db import connection
    from django.utils import timezone

    from core.models import User
    from schools.calendar import school_days_from
    from schools.models import ClosureDay, Membership, Role, School, Student, Term

    rates = rates or Rates()
    school = School.objects.create(code=code, name=f"Benchmark school {code}")
    terms, closures = calendar(on_date)
    Term.objects.bulk_create(
        Term(school=school, name=n, starts_on=s, ends_on=e) for n, s, e in terms
    )
    ClosureDay.objects.bulk_create(
        ClosureDay(school=school, date=d, reason="Training") for d in closures
    )
    days = school_days_from(
        [(s, e) for _, s, e in terms], set(closures), on_date - dt.timedelta(days=400), on_date
    )[-RECORD_DAYS:]
    n_days = len(days)

    counsellor = User.objects.create_user(email=f"counsellor@{code}.bench", password=None)
    admin = User.objects.create_user(email=f"admin@{code}.bench", password=None)
    teachers = User.objects.bulk_create(
        User(email=f"t{i}@{code}.bench", password="!")  # noqa: S106 -- "!": no usable password
        for i in range(max(6, students // 20))
    )
    Membership.objects.bulk_create(
        [
            Membership(user=counsellor, school=school, role=Role.COUNSELLOR),
            Membership(user=admin, school=school, role=Role.SCHOOL_ADMIN),
            *(Membership(user=t, school=school, role=Role.TEACHER) for t in teachers),
        ]
    )
    school.designated_counsellor = counsellor
    school.save(update_fields=["designated_counsellor"])
    pupils = Student.objects.bulk_create(
        (
            Student(
                school=school,
                code=f"S-{n:04d}",
                year_group=7 + n % 5,
                is_active=rng.random() >= rates.inactive,
            )
            for n in range(students)
        ),
        batch_size=5000,
    )
    # A trip: each year group is "not required" on two whole days of the year.
    trips: dict[int | None, set[int]] = {
        year: set(rng.sample(range(n_days), min(2, n_days))) for year in range(7, 12)
    }

    result = Seeded(schools=[school], students=students)
    now = timezone.now()

    def written(day: dt.date) -> dt.datetime:
        # A record is written on its day (the register after school), as in a deployment; not
        # all at the moment of seeding, which would make every record look just changed.
        return min(now, dt.datetime.combine(day, dt.time(16), tzinfo=dt.UTC))

    marks: list[tuple] = []
    observations: list[tuple] = []  # (student, date, recorded_by, withdrawn, signs)
    teacher_ids = [t.pk for t in teachers]

    def observe(student_id, day, by, signs):
        withdrawn = now if rng.random() < rates.withdrawn_observation else None
        observations.append((student_id, day, by, withdrawn, signs))

    for pupil in pupils:
        own = rng.sample(teacher_ids, 3)
        status: dict[int, str] = {}
        for session in _gaps(rng, rates.exception, 2 * n_days):
            draw = rng.random()
            status[session] = (
                rng.choice(ABSENT) if draw < 0.7 else "late" if draw < 0.95 else "not_required"
            )
        if rng.random() < rates.chronic:
            result.episodes["absence"] += 1
            for day in _episode(rng, n_days, 20, 100, rates.ongoing):
                for s in (0, 1):
                    if rng.random() < rates.chronic_absent:
                        status[2 * day + s] = rng.choice(ABSENT)
        if rng.random() < rates.sleep:
            result.episodes["sleep"] += 1
            for day in _episode(rng, n_days, 10, 50, rates.ongoing):
                if rng.random() < rates.sleep_late and status.get(2 * day) is None:
                    status[2 * day] = "late"
                if rng.random() < rates.sleep_fatigue:
                    observe(pupil.pk, days[day], rng.choice(own), ["FATIGUE"])
        if rng.random() < rates.withdrawal:
            result.episodes["withdrawal"] += 1
            for day in _episode(rng, n_days, 15, 80, rates.ongoing):
                if rng.random() < rates.withdrawal_observed:
                    signs = rng.sample(WITHDRAWAL, rng.choice((1, 1, 2)))
                    observe(pupil.pk, days[day], rng.choice(own), signs)
        for day in trips[pupil.year_group]:
            status[2 * day] = status[2 * day + 1] = "not_required"
        for _ in range(rng.randint(0, rates.noise_observations)):
            observe(pupil.pk, rng.choice(days), rng.choice(own), [rng.choice(NOISE)])
        if rng.random() < rates.context:
            for _ in range(rng.randint(1, 2)):
                # Any calendar day: bullying is reported on the day it happened.
                on = days[0] + dt.timedelta(days=rng.randint(0, (days[-1] - days[0]).days))
                observe(pupil.pk, on, rng.choice(own), [rng.choice(CONTEXT)])
        sessions = range(2 * n_days) if dense else sorted(status)
        for i in sessions:
            marks.append(
                (
                    pupil.pk,
                    days[i // 2],
                    SESSIONS[i % 2],
                    status.get(i, "present"),
                    "",
                    "register",
                    None,
                    written(days[i // 2]),
                    written(days[i // 2]),
                )
            )
    result.marks = len(marks)
    result.observations = len(observations)
    with connection.cursor() as cursor:
        _copy(
            cursor,
            "schools_attendancerecord (student_id, date, session, status, original_code, "
            "source, recorded_by_id, created_at, updated_at)",
            marks,
        )
        if observations:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('schools_observation', 'id'), "
                "nextval(pg_get_serial_sequence('schools_observation', 'id')) + %s - 1)",
                [len(observations)],
            )
            first = cursor.fetchone()[0] - len(observations) + 1
            _copy(
                cursor,
                "schools_observation (id, student_id, observed_on, note, recorded_by_id, "
                "created_at, updated_at, client_id, withdrawn_at)",
                (
                    (
                        first + i,
                        sid,
                        day,
                        "",
                        by,
                        written(day),
                        written(day),
                        uuid.uuid4(),
                        withdrawn,
                    )
                    for i, (sid, day, by, withdrawn, _) in enumerate(observations)
                ),
            )
            _copy(
                cursor,
                "schools_observationsign (observation_id, sign)",
                ((first + i, s) for i, o in enumerate(observations) for s in o[4]),
            )
    return result


def _copy(cursor, target: str, rows) -> None:
    with cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def seed_district(
    *, schools: int, students: int, on_date: dt.date, seed: int = 2026, prefix: str = "district"
) -> Seeded:
    rng = random.Random(seed)
    total = Seeded()
    for number in range(schools):
        total.add(seed_school(f"{prefix}{number:02d}", students=students, on_date=on_date, rng=rng))
    return total
