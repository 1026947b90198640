"""Evaluate the default rules over a generated district (issue 3).

A seeded district: by default 20 schools x 1,000 students (BENCH_SCHOOLS, BENCH_STUDENTS),
one school year of attendance (two sessions a day; a register exception on about 3% of
sessions) and observations at realistic rates (up to eight ordinary ones a year per student;
4% of the students with a persisting withdrawal pattern in the last six school weeks).

The evaluation runs in a fresh child process, so its peak memory is its own and not the data
generator's. Reported: students evaluated per second, SQL queries, peak memory, and the time of
one hand-written SQL aggregate over the same rows the engine must read (observation signs and
register exceptions per student and day over the rules' span), the floor any evaluation pays,
with the ratio of the two. Targets: 20,000 students under 60 s, under 500 MB, within 3x of
the floor.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time

TITLE = "Rule evaluation of a district (20 schools x 1,000 students, one school year)"
SCHOOLS = int(os.environ.get("BENCH_SCHOOLS", "20"))
STUDENTS = int(os.environ.get("BENCH_STUDENTS", "1000"))
TERM = (dt.date(2025, 9, 1), dt.date(2026, 7, 17))
ON_DATE = dt.date(2026, 7, 17)  # the last day of the year: a whole year of records behind it
WITHDRAWAL = ["ISOLATION", "REFUSES_CONTACT", "DISTRESS", "LOW_MOTIVATION", "SELF_CARE"]
NOISE = ["ISOLATION", "FATIGUE", "LATE", "DIGITAL_ESCAPE", "SETBACK"]

FLOOR_SQL = {
    "signs": """
        SELECT o.student_id, o.observed_on, count(*), count(DISTINCT o.recorded_by_id)
        FROM schools_observationsign s
        JOIN schools_observation o ON o.id = s.observation_id
        JOIN schools_student st ON st.id = o.student_id
        WHERE st.school_id = %s AND st.is_active AND o.withdrawn_at IS NULL
          AND o.observed_on BETWEEN %s AND %s AND s.sign = ANY(%s)
        GROUP BY o.student_id, o.observed_on
    """,
    "marks": """
        SELECT a.student_id, a.date,
               count(*) FILTER (WHERE a.status IN ('authorised_absence', 'unauthorised_absence')),
               count(*) FILTER (WHERE a.status = 'late')
        FROM schools_attendancerecord a
        JOIN schools_student st ON st.id = a.student_id
        WHERE st.school_id = %s AND st.is_active AND a.status <> 'present'
          AND a.date BETWEEN %s AND %s
        GROUP BY a.student_id, a.date
    """,
}


def _populate(number: int, rng: random.Random) -> tuple[int, int]:
    from core.models import User
    from schools.calendar import school_days_between
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

    code = f"bench{number:02d}"
    school = School.objects.create(code=code, name=f"Benchmark school {number}")
    Term.objects.create(school=school, name="Year", starts_on=TERM[0], ends_on=TERM[1])
    counsellor = User.objects.create_user(email=f"counsellor@{code}.bench", password=None)
    Membership.objects.create(user=counsellor, school=school, role=Role.COUNSELLOR)
    school.designated_counsellor = counsellor
    school.save(update_fields=["designated_counsellor"])
    teachers = [
        User.objects.create_user(email=f"t{i}@{code}.bench", password=None) for i in range(6)
    ]
    Membership.objects.bulk_create(
        Membership(user=t, school=school, role=Role.TEACHER) for t in teachers
    )
    pupils = Student.objects.bulk_create(
        Student(school=school, code=f"S-{n:04d}", year_group=7 + n % 5) for n in range(STUDENTS)
    )
    days = school_days_between(school, TERM[0], ON_DATE)
    recent = days[-30:]
    marks, observations = [], []
    for student in pupils:
        for day in days:
            for session in ("AM", "PM"):
                if rng.random() < 0.03:
                    status = rng.choice(["authorised_absence", "unauthorised_absence", "late"])
                    marks.append(
                        AttendanceRecord(student=student, date=day, session=session, status=status)
                    )
        chosen = [(rng.choice(days), [rng.choice(NOISE)]) for _ in range(rng.randint(0, 8))]
        if rng.random() < 0.04:
            chosen += [(d, rng.sample(WITHDRAWAL, 2)) for d in recent]
        for day, codes in chosen:
            observation = Observation(
                student=student, observed_on=day, recorded_by=rng.choice(teachers)
            )
            observations.append((observation, codes))
    AttendanceRecord.objects.bulk_create(marks, batch_size=10_000)
    Observation.objects.bulk_create([o for o, _ in observations], batch_size=10_000)
    ObservationSign.objects.bulk_create(
        (ObservationSign(observation=o, sign=c) for o, codes in observations for c in codes),
        batch_size=10_000,
    )
    return len(marks), len(observations)


def run() -> dict:
    from django.conf import settings
    from django.db import connection

    rng = random.Random(2026)
    started = time.perf_counter()
    marks = observations = 0
    for number in range(SCHOOLS):
        m, o = _populate(number, rng)
        marks, observations = marks + m, observations + o
    generated = time.perf_counter() - started
    connection.close()

    db = settings.DATABASES["default"]
    env = dict(os.environ, DATABASE_URL=_database_url(db))
    child = subprocess.run(
        [sys.executable, "-m", "benchmarks.evaluate", "--child"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    measured = json.loads(child.stdout.strip().splitlines()[-1])
    students = SCHOOLS * STUDENTS
    figures = {
        "schools x students": f"{SCHOOLS} x {STUDENTS:,}",
        "register exceptions": marks,
        "observations": observations,
        "generate (s)": round(generated, 1),
        **measured,
    }
    full = measured["full evaluation (s)"]
    figures["students evaluated/s"] = round(students / full)
    figures["full evaluation / SQL floor"] = round(full / measured["SQL floor (s)"], 1)
    figures["second evaluation (nothing to write) / SQL floor"] = round(
        measured["second evaluation (s)"] / measured["SQL floor (s)"], 1
    )
    figures["engine only / SQL floor"] = round(
        measured["engine only (s)"] / measured["SQL floor (s)"], 1
    )
    figures["target: under 60 s"] = full < 60
    figures["target: under 500 MB"] = measured["peak RSS of the evaluation (MB)"] < 500
    figures["target: within 3x of the floor"] = figures["full evaluation / SQL floor"] <= 3
    _record(figures)
    return figures


def _database_url(db: dict) -> str:
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def _child() -> None:
    """The measured part, in its own process: floor, engine only, full evaluation, again."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from alerts import engine
    from alerts.models import Case, Notification, WarningRule
    from alerts.services import evaluation_run
    from schools.models import School

    schools = list(School.objects.order_by("code"))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def floor() -> float:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for school in schools:
                rules = list(WarningRule.objects.filter(school=school, enabled=True))
                span = max(r.span_days for r in rules)
                days = engine.school_days_until(school, ON_DATE, span)
                signs = sorted({s for r in rules for s in r.signs})
                cursor.execute(FLOOR_SQL["signs"], [school.pk, days[0], days[-1], signs])
                cursor.fetchall()
                cursor.execute(FLOOR_SQL["marks"], [school.pk, days[0], days[-1]])
                cursor.fetchall()
        return time.perf_counter() - started

    floor()  # warm the caches, as the evaluation will find them
    floor_seconds = floor()

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as engine_queries:
        matched = sum(len(engine.evaluate(school=s, on_date=ON_DATE).by_student()) for s in schools)
    engine_seconds = time.perf_counter() - started

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as full_queries:
        summaries = [evaluation_run(school=s, on_date=ON_DATE) for s in schools]
    full_seconds = time.perf_counter() - started

    started = time.perf_counter()
    again = [evaluation_run(school=s, on_date=ON_DATE) for s in schools]
    again_seconds = time.perf_counter() - started

    result = {
        "SQL floor (s)": round(floor_seconds, 3),
        "engine only (s)": round(engine_seconds, 2),
        "engine queries (all schools)": len(engine_queries),
        "students matched": matched,
        "full evaluation (s)": round(full_seconds, 2),
        "full evaluation queries": len(full_queries),
        "cases opened": sum(len(s.opened) for s in summaries),
        "notifications written": Notification.objects.count(),
        "second evaluation (s)": round(again_seconds, 2),
        "second evaluation opened/updated": (
            f"{sum(len(s.opened) for s in again)}/{sum(len(s.updated) for s in again)}"
        ),
        "open cases in the database": Case.objects.count(),
        "RSS before evaluating (MB)": round(rss_before, 1),
        "peak RSS of the evaluation (MB)": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        ),
    }
    print(json.dumps(result))


def _record(figures: dict) -> None:
    from .setup import record

    rows = "\n".join(
        f"| {k} | {v:,} |" if isinstance(v, int) and not isinstance(v, bool) else f"| {k} | {v} |"
        for k, v in figures.items()
    )
    record(
        "evaluate",
        f"""
## Rule evaluation of a district

`make bench` (module `benchmarks/evaluate.py`; `python -m benchmarks evaluate` runs it alone,
`BENCH_SCHOOLS` and `BENCH_STUDENTS` change the size): a seeded district, one school year of
records up to {ON_DATE:%d %B %Y}, the default rules, evaluated school by school in a fresh
process. The "SQL floor" is one hand-written aggregate per school over the rows the engine
must read (signs and register exceptions per student and day over the rules' span); the
engine's queries per school do not grow with its students. The full evaluation also writes
the cases it opens, their evidence and their notifications. Targets: 20,000 students under
60 s, peak memory under 500 MB, within 3x of the floor. Machine: CPython
{platform.python_version()}, PostgreSQL, {platform.machine()}, {os.cpu_count()} CPUs,
measured {dt.date.today().isoformat()}.

| figure | value |
|---|---|
{rows}
""",
    )


if __name__ == "__main__" and "--child" in sys.argv:
    _child()
