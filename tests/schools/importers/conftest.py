"""Fixtures for the import tests: the Ed-Fi sample files and a plain reading of them.

`plain_*` helpers read the XML with the standard library's tree parser, independently of the
importer, so each figure the tests assert is counted twice by different code.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET  # trusted sample files, read only by the tests
from pathlib import Path

import pytest

from schools.importers import import_file
from tests.factories import SchoolFactory
from tests.samples import EDFI_DIR, edfi  # noqa: F401 - the import tests take them from here

NS = "{http://ed-fi.org/5.2.0}"
SCHOOL_IDS = {"gb1001": 255901001, "gb1044": 255901044, "gb1107": 255901107}


def plain_school_events(path: Path) -> list[dict]:
    """Each StudentSchoolAttendanceEvent as a dict, read with ElementTree."""
    root = ET.parse(path).getroot()  # noqa: S314
    events = []
    for el in root.iter(f"{NS}StudentSchoolAttendanceEvent"):
        category = el.find(f"{NS}AttendanceEvent/{NS}AttendanceEventCategory").text
        events.append(
            {
                "category": category.split("#")[-1],
                "date": dt.date.fromisoformat(el.find(f"{NS}AttendanceEvent/{NS}EventDate").text),
                "student": el.find(f".//{NS}StudentUniqueId").text,
                "school": int(el.find(f"{NS}SchoolReference//{NS}SchoolId").text),
            }
        )
    return events


def plain_student_ids(*paths: Path) -> set[str]:
    ids = set()
    for path in paths:
        root = ET.parse(path).getroot()  # noqa: S314
        ids |= {e.text.strip() for e in root.iter(f"{NS}StudentUniqueId")}
    return ids


@pytest.fixture
def grand_bend(db):
    """The three Grand Bend schools, claiming their Ed-Fi SchoolIds, with the sample calendar."""
    schools = {
        code: SchoolFactory(code=code, name=f"Grand Bend {code}", edfi_school_id=sid)
        for code, sid in SCHOOL_IDS.items()
    }
    import_file(edfi("EducationOrgCalendar.xml"))
    return schools


@pytest.fixture(autouse=True)
def _import_dir(settings, tmp_path):
    """Uploaded files wait in a per-test directory, not under the repository's var/."""
    settings.IMPORT_DIR = tmp_path / "imports"
