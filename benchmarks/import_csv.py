"""Import a generated 1,000,000-row attendance CSV into PostgreSQL (issue 5).

Target: at least 25,000 rows/s with peak memory (RSS) under 300 MB. The file: 4,000 students x
250 sessions (125 school days inside one term, AM and PM); every morning a present mark ("/"),
every afternoon an exception cycling through N, I, L, U, M, G, C, O, so half the rows become
stored records. The same file is then imported again, which must change nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

TITLE = "CSV attendance import, 1,000,000 rows"
ROWS = 1_000_000
STUDENTS = 4_000
FIRST_DAY = dt.date(2025, 9, 1)  # a Monday
EXCEPTIONS = ["N", "I", "L", "U", "M", "G", "C", "O"]


def school_days(count: int) -> list[dt.date]:
    days, day = [], FIRST_DAY
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def generate(path: Path) -> None:
    sessions_per_student = ROWS // STUDENTS
    days = school_days(sessions_per_student // 2)
    with open(path, "w", newline="") as out:
        out.write("student_ref,date,session,code\n")
        n = 0
        for s in range(STUDENTS):
            ref = f"{900000 + s * 7}"
            for d in days:
                for session in ("AM", "PM"):
                    n += 1
                    exception = EXCEPTIONS[(n // 2 + s) % len(EXCEPTIONS)]
                    code = "/" if session == "AM" else exception
                    out.write(f"{ref},{d.isoformat()},{session},{code}\n")
    assert n == ROWS


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def run() -> dict:
    from django.db import connection

    from schools.importers import import_file
    from schools.models import AttendanceRecord, School, Term

    from .setup import record

    school = School.objects.create(code="bench", name="Benchmark School")
    Term.objects.create(
        school=school, name="Year", starts_on=FIRST_DAY, ends_on=dt.date(2026, 7, 20)
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "attendance.csv"
        started = time.perf_counter()
        generate(path)
        generated_s = time.perf_counter() - started
        size_mb = path.stat().st_size / 1e6
        rss_before = peak_rss_mb()

        started = time.perf_counter()
        first = import_file(path, school=school, create_students=True)
        first_s = time.perf_counter() - started
        rss_first = peak_rss_mb()

        started = time.perf_counter()
        second = import_file(path, school=school)
        second_s = time.perf_counter() - started
        rss_peak = peak_rss_mb()

    stored = AttendanceRecord.objects.filter(student__school=school).count()
    assert first.read == ROWS and second.read == ROWS
    assert (second.created, second.updated) == (0, 0)
    figures = {
        "rows": ROWS,
        "file size (MB)": round(size_mb, 1),
        "generate (s)": round(generated_s, 1),
        "first import (s)": round(first_s, 2),
        "first import rows/s": int(ROWS / first_s),
        "records created": first.attendance["created"],
        "students created": first.students_created,
        "second import (s)": round(second_s, 2),
        "second import rows/s": int(ROWS / second_s),
        "second import created/updated": f"{second.created}/{second.updated}",
        "records in the database": stored,
        "peak RSS before import (MB)": round(rss_before, 1),
        "peak RSS after first import (MB)": round(rss_first, 1),
        "peak RSS overall (MB)": round(rss_peak, 1),
        "target met": ROWS / first_s >= 25_000 and rss_peak < 300,
    }
    machine = (
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"PostgreSQL {connection.pg_version // 10000}, {platform.machine()}, "
        f"{_cpus()} CPUs, load average {os.getloadavg()[0]:.1f} at the end (other work shared "
        f"the machine), measured {dt.date.today().isoformat()}"
    )
    rows = "\n".join(
        f"| {k} | {v:,} |" if isinstance(v, int) and not isinstance(v, bool) else f"| {k} | {v} |"
        for k, v in figures.items()
    )
    record(
        "import_csv",
        f"""## {TITLE}

`make bench` (module `benchmarks/import_csv.py`): a generated file of {ROWS:,} rows
({STUDENTS:,} students x {ROWS // STUDENTS} sessions; every morning present, every afternoon an
exception), imported with `--create-students` into a fresh PostgreSQL database, then imported again.
Target: at least 25,000 rows/s, peak memory under 300 MB. Machine: {machine}.

| figure | value |
|---|---|
{rows}
""",
    )
    return figures


def _cpus() -> int:
    return os.cpu_count() or 0
