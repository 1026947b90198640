"""The Ed-Fi reader streams: memory does not grow with the size of the file."""

from __future__ import annotations

import tracemalloc

from schools.importers.context import ImportContext
from schools.importers.edfi import EdfiReader
from schools.importers.pseudonym import Pseudonymiser
from schools.importers.report import ImportReport

from .conftest import edfi


class CountingSink:
    """Counts staged marks and keeps none, so only the reader's own memory is measured."""

    def __init__(self):
        self.rows = 0

    def add(self, *row):
        self.rows += 1


def peak_reading(path) -> tuple[int, int]:
    report = ImportReport()
    sink = CountingSink()
    ctx = ImportContext(report=report, pseudonymiser=Pseudonymiser(), sink=sink)
    reader = EdfiReader(ctx=ctx, only_school=None)
    tracemalloc.start()
    try:
        with open(path, "rb") as stream:
            reader.read(stream, None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, sink.rows


def test_a_file_ten_times_larger_needs_no_more_memory(grand_bend, tmp_path):
    text = edfi("StudentSchoolAttendance.xml").read_text()
    head, _, rest = text.partition("<StudentSchoolAttendanceEvent>")
    body, _, tail = ("<StudentSchoolAttendanceEvent>" + rest).rpartition("</Interchange")
    big = tmp_path / "big.xml"
    with open(big, "w") as out:
        out.write(head)
        for _ in range(10):
            out.write(body)
        out.write("</Interchange" + tail)
    assert big.stat().st_size > 10 * len(body)

    small_peak, small_rows = peak_reading(edfi("StudentSchoolAttendance.xml"))
    big_peak, big_rows = peak_reading(big)

    assert big_rows == 10 * small_rows
    # Caches grow with the students and days seen, not with the records: the same here.
    assert big_peak < 1.5 * small_peak, (small_peak, big_peak)
