"""Import a generated 1,000,000-row attendance CSV into PostgreSQL, against a COPY.

Targets: at least 25,000 rows/s with peak memory (RSS) under 300 MB, and at least 80% of the
speed of a plain COPY of the same rows into an equal table. The file: 4,000 students x 250
sessions (125 school days inside one term, AM and PM); every morning a present mark ("/"),
every afternoon an exception cycling through N, I, L, U, M, G, C, O, so half the rows become
stored records. The same file is then imported again, which must change nothing, and once
more with every field quoted (as many exports write them), which must change nothing either.

The COPY: the file's 1,000,000 rows as table rows (student id, date, session, status, code,
source), COPYed from memory into an empty table made `LIKE schools_attendancerecord INCLUDING
ALL` (the same columns, defaults, constraints and indexes; PostgreSQL copies no foreign key):
what writing these rows costs when there is nothing to read, check, pseudonymise or resolve.
The same COPY is measured again with the attendance table's two foreign keys (student and
recorder, deferred, checked row by row at commit), for what the import cannot avoid paying.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from . import setup
from .setup import Target

TITLE = "CSV attendance import, 1,000,000 rows"
ROWS = 1_000_000
STUDENTS = 4_000
FIRST_DAY = dt.date(2025, 9, 1)  # a Monday
EXCEPTIONS = ["N", "I", "L", "U", "M", "G", "C", "O"]


def school_days(count: int) -> list[dt.date]:
    days: list[dt.date] = []
    day = FIRST_DAY
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


COLUMNS = "student_id, date, session, status, original_code, source, recorded_by_id"


def copy_seconds(school_id: int) -> tuple[float, int, float]:
    """Seconds to COPY the file's rows, as table rows, into an empty table equal to the
    attendance table; how many rows that was; and the seconds of the same COPY into that
    table with the attendance table's foreign keys added."""
    import io

    from django.db import connection

    with connection.cursor() as cursor:
        raw = cursor.cursor
        stored = (
            "SELECT a.student_id, a.date, a.session, a.status, a.original_code, a.source, "
            "a.recorded_by_id, a.created_at, a.updated_at FROM schools_attendancerecord a "
            "JOIN schools_student s ON s.id = a.student_id WHERE s.school_id = %s"
        )
        # The file's present mornings are not stored: they are the afternoons' days, present.
        present = (
            "SELECT a.student_id, a.date, 'AM', 'present', '/', a.source, a.recorded_by_id, "
            "a.created_at, a.updated_at "
            "FROM schools_attendancerecord a JOIN schools_student s ON s.id = a.student_id "
            "WHERE s.school_id = %s"
        )
        data = io.BytesIO()
        with raw.copy(
            f"COPY ({stored} UNION ALL {present}) TO STDOUT", (school_id, school_id)
        ) as out:
            for chunk in out:
                data.write(chunk)
        # A regular table, like the real one: a temporary table would skip the write-ahead log.
        cursor.execute("CREATE TABLE bench_equal (LIKE schools_attendancerecord INCLUDING ALL)")
        seconds = _copy_into_equal(raw, data)
        cursor.execute("SELECT count(*) FROM bench_equal")
        (rows,) = cursor.fetchone()
        # The same again with the real table's two foreign keys, deferred as they are there:
        # checked row by row when the COPY's transaction commits, which the import pays too.
        cursor.execute("TRUNCATE bench_equal")
        cursor.execute(
            "ALTER TABLE bench_equal "
            "ADD FOREIGN KEY (student_id) REFERENCES schools_student (id) "
            "DEFERRABLE INITIALLY DEFERRED, "
            "ADD FOREIGN KEY (recorded_by_id) REFERENCES core_user (id) "
            "DEFERRABLE INITIALLY DEFERRED"
        )
        with_keys = _copy_into_equal(raw, data)
        cursor.execute("DROP TABLE bench_equal")
    return seconds, rows, with_keys


def _copy_into_equal(raw, data) -> float:
    """Seconds to COPY `data` into bench_equal, its commit (and any deferred check) included:
    the connection is in autocommit, so the COPY is its own transaction."""
    started = time.perf_counter()
    with raw.copy(f"COPY bench_equal ({COLUMNS}, created_at, updated_at) FROM STDIN") as copy:
        view = data.getbuffer()
        for offset in range(0, len(view), 1 << 20):
            copy.write(view[offset : offset + (1 << 20)])
    return time.perf_counter() - started


def run() -> dict:

    from schools.models import AttendanceRecord, School, Term

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
        # The imports run in a fresh process: its peak memory is the import's, not that of
        # whatever this process did before.
        measured = setup.run_fresh("benchmarks.import_csv", "--child", str(path))
    first_s, second_s = measured["first import (s)"], measured["second import (s)"]
    rss_before = measured["peak RSS before import (MB)"]
    rss_first = measured["peak RSS after first import (MB)"]
    rss_peak = measured["peak RSS overall (MB)"]
    first, second = measured["first"], measured["second"]
    stored = AttendanceRecord.objects.filter(student__school=school).count()
    assert first["read"] == ROWS and second["read"] == ROWS
    assert (second["created"], second["updated"]) == (0, 0)
    quoted = measured["quoted"]
    assert quoted["read"] == ROWS and (quoted["created"], quoted["updated"]) == (0, 0)
    copy_s, copied, copy_keys_s = copy_seconds(school.pk)
    assert copied == ROWS
    share = 100 * copy_s / first_s
    figures = {
        "rows": ROWS,
        "file size (MB)": round(size_mb, 1),
        "generate (s)": round(generated_s, 1),
        "first import (s)": round(first_s, 2),
        "first import rows/s": int(ROWS / first_s),
        "records created": first["attendance created"],
        "students created": first["students created"],
        "second import (s)": round(second_s, 2),
        "second import rows/s": int(ROWS / second_s),
        "second import created/updated": f"{second['created']}/{second['updated']}",
        "second import of the same rows, every field quoted (s)": round(
            measured["quoted import (s)"], 2
        ),
        "records in the database": stored,
        "COPY of the same rows into an equal table (s)": round(copy_s, 2),
        "first import speed / COPY speed (%)": round(share, 1),
        "the same COPY with the two foreign keys of the attendance table (s)": round(
            copy_keys_s, 2
        ),
        "first import speed / speed of the COPY with foreign keys (%)": round(
            100 * copy_keys_s / first_s, 1
        ),
        "peak RSS before import (MB)": round(rss_before, 1),
        "peak RSS after first import (MB)": round(rss_first, 1),
        "peak RSS overall (MB)": round(rss_peak, 1),
        "target met (25,000 rows/s, 300 MB)": ROWS / first_s >= 25_000 and rss_peak < 300,
    }
    target = Target(
        "1M-row CSV import",
        f"{first_s:.1f} s; {share:.0f}% of the speed of a COPY of the same rows "
        f"into an equal table ({copy_s:.1f} s)",
        ">= 80%",
        share >= 80,
    )
    machine = (
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"PostgreSQL {setup.postgres_major()}, {platform.machine()}, "
        f"{_cpus()} CPUs, load average {setup.load_average()} at the end (other work shared "
        f"the machine), measured {dt.date.today().isoformat()}"
    )
    setup.record(
        "import_csv",
        f"""## {TITLE}

`make bench` (module `benchmarks/import_csv.py`): a generated file of {ROWS:,} rows
({STUDENTS:,} students x {ROWS // STUDENTS} sessions; every morning present, every afternoon an
exception), imported with `--create-students` into a fresh PostgreSQL database, then imported
again, then again with every field quoted; then the same {ROWS:,} rows, as table rows,
COPYed into an empty table equal to the attendance table (the target's yardstick), and once
more into that table with the attendance table's two foreign keys, which the import pays for
each record it writes. Targets: at least
25,000 rows/s, peak memory under 300 MB, at least 80% of the speed of the first COPY.
Machine: {machine}.

| target | measured | wanted | |
|---|---|---|---|
| {target.figure} | {target.measured} | {target.target} | {target.verdict} |

{setup.table(figures)}
""",
    )
    return {**figures, "targets": [target]}


def _cpus() -> int:
    return os.cpu_count() or 0


def _child(path: str) -> dict:
    """Both imports of the file, in this fresh process."""
    from schools.importers import import_file
    from schools.models import School

    school = School.objects.get(code="bench")

    def counts(report) -> dict:
        return {
            "read": report.read,
            "created": report.created,
            "updated": report.updated,
            "attendance created": report.attendance["created"],
            "students created": report.students_created,
        }

    rss_before = setup.peak_rss_mb()
    started = time.perf_counter()
    first = import_file(path, school=school, create_students=True)
    first_s = time.perf_counter() - started
    rss_first = setup.peak_rss_mb()
    started = time.perf_counter()
    second = import_file(path, school=school)
    second_s = time.perf_counter() - started
    # The same rows again with every field quoted, as many exports write them.
    quoted = Path(path).with_name("quoted.csv")
    with open(path) as plain, open(quoted, "w") as out:
        for line in plain:
            out.write(",".join(f'"{field}"' for field in line.rstrip("\n").split(",")) + "\n")
    started = time.perf_counter()
    again = import_file(str(quoted), school=school)
    quoted_s = time.perf_counter() - started
    return {
        "first import (s)": first_s,
        "second import (s)": second_s,
        "quoted import (s)": quoted_s,
        "quoted": counts(again),
        "peak RSS before import (MB)": round(rss_before, 1),
        "peak RSS after first import (MB)": round(rss_first, 1),
        "peak RSS overall (MB)": round(setup.peak_rss_mb(), 1),
        "first": counts(first),
        "second": counts(second),
    }


if __name__ == "__main__" and "--child" in sys.argv:
    import json

    setup.django_in_child()
    print(json.dumps(_child(sys.argv[sys.argv.index("--child") + 1])))
