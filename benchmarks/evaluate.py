"""Evaluate the default rules over a generated school year (issue 3).

One school of 2,000 students with a full year of records: a register exception on about 3% of
sessions, a handful of ordinary observations per student, and 4% of the students with a
persisting withdrawal pattern in the last six school weeks. Reported: the engine's queries
(the same for 200 and for 2,000 students: evaluation is set-based), its time per student, and
the first and second `evaluation_run` (the second must change nothing).
"""

from __future__ import annotations

import datetime as dt
import platform
import random
import time

TITLE = "Rule evaluation, one school, 2,000 students, a school year of records"
STUDENTS = 2_000
SMALL = 200
TERM = (dt.date(2025, 9, 1), dt.date(2026, 7, 17))
ON_DATE = dt.date(2026, 3, 6)  # a Friday
WITHDRAWAL = ["ISOLATION", "REFUSES_CONTACT", "DISTRESS", "LOW_MOTIVATION", "SELF_CARE"]
NOISE = ["ISOLATION", "FATIGUE", "LATE", "DIGITAL_ESCAPE", "SETBACK"]


def _school_days(school) -> list[dt.date]:
    from schools.calendar import school_days_between

    return school_days_between(school, TERM[0], ON_DATE)


def _populate(code: str, students: int, rng: random.Random):
    from core.models import User
    from schools.models import (
        AttendanceRecord,
        Membership,
        Observation,
        ObservationSign,
        Role,
        School,
        Student,
        Term,
    )

    school = School.objects.create(code=code, name=f"Benchmark {code}")
    Term.objects.create(school=school, name="Year", starts_on=TERM[0], ends_on=TERM[1])
    teachers = [
        User.objects.create_user(email=f"t{i}@{code}.bench", password=None) for i in range(6)
    ]
    Membership.objects.bulk_create(
        Membership(user=t, school=school, role=Role.TEACHER) for t in teachers
    )
    counsellor = User.objects.create_user(email=f"counsellor@{code}.bench", password=None)
    Membership.objects.create(user=counsellor, school=school, role=Role.COUNSELLOR)
    school.designated_counsellor = counsellor
    school.save(update_fields=["designated_counsellor"])
    pupils = Student.objects.bulk_create(
        Student(school=school, code=f"S-{n:04d}", year_group=7 + n % 5) for n in range(students)
    )
    days = _school_days(school)
    recent = days[-30:]
    marks, observations, signs = [], [], []
    for student in pupils:
        for day in days:
            for session in ("AM", "PM"):
                if rng.random() < 0.03:
                    marks.append(
                        AttendanceRecord(
                            student=student,
                            date=day,
                            session=session,
                            status=rng.choice(["authorised_absence", "late"]),
                        )
                    )
        patterned = rng.random() < 0.04
        chosen = [(d, rng.sample(WITHDRAWAL, 2)) for d in recent] if patterned else []
        chosen += [(rng.choice(days), [rng.choice(NOISE)]) for _ in range(rng.randint(0, 8))]
        for day, codes in chosen:
            observations.append(
                (
                    Observation(student=student, observed_on=day, recorded_by=rng.choice(teachers)),
                    codes,
                )
            )
    AttendanceRecord.objects.bulk_create(marks, batch_size=5_000)
    Observation.objects.bulk_create([o for o, _ in observations], batch_size=5_000)
    signs = [ObservationSign(observation=o, sign=c) for o, codes in observations for c in codes]
    ObservationSign.objects.bulk_create(signs, batch_size=5_000)
    return school, len(marks), len(observations)


def _engine_queries(school) -> tuple[int, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from alerts import engine

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        evaluation = engine.evaluate(school=school, on_date=ON_DATE)
        seconds = time.perf_counter() - started
    return len(queries), seconds, len(evaluation.by_student())


def run() -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from alerts.models import Case, Notification
    from alerts.services import evaluation_run

    rng = random.Random(2026)
    small, _, _ = _populate("small", SMALL, rng)
    big, marks, observations = _populate("big", STUDENTS, rng)

    small_queries, _, _ = _engine_queries(small)
    big_queries, engine_seconds, matched = _engine_queries(big)

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as first_queries:
        first = evaluation_run(school=big, on_date=ON_DATE)
    first_seconds = time.perf_counter() - started
    notifications = Notification.objects.count()
    started = time.perf_counter()
    second = evaluation_run(school=big, on_date=ON_DATE)
    second_seconds = time.perf_counter() - started

    figures = {
        "students": STUDENTS,
        "school days to the evaluation date": len(_school_days(big)),
        "register exceptions": marks,
        "observations": observations,
        f"engine queries, {SMALL} students": small_queries,
        f"engine queries, {STUDENTS} students": big_queries,
        "engine time (s)": round(engine_seconds, 2),
        "engine students/s": round(STUDENTS / engine_seconds),
        "students matched": matched,
        "first evaluation_run (s)": round(first_seconds, 2),
        "first evaluation_run queries": len(first_queries),
        "cases opened": len(first.opened),
        "notifications written": notifications,
        "second evaluation_run (s)": round(second_seconds, 2),
        "second run opened/updated": f"{len(second.opened)}/{len(second.updated)}",
        "open cases in the database": Case.objects.filter(student__school=big).count(),
    }
    _record(figures)
    return figures


def _record(figures: dict) -> None:
    from .setup import record

    rows = "\n".join(
        f"| {k} | {v:,} |" if isinstance(v, int) else f"| {k} | {v} |" for k, v in figures.items()
    )
    record(
        "evaluate",
        f"""
## Rule evaluation, 2,000 students

`make bench` (module `benchmarks/evaluate.py`): one school, a generated school year up to
{ON_DATE:%d %B %Y}, the default rules. The engine's query count is the same for
{SMALL} and {STUDENTS:,} students: it reads aggregate rows per school, never per student.
The first `evaluation_run`'s queries grow with the cases it opens (their rows, evidence and
notifications are written), not with the students it reads.
Machine: CPython {platform.python_version()}, PostgreSQL, {platform.machine()}, measured
{dt.date.today().isoformat()}.

| figure | value |
|---|---|
{rows}
""",
    )
