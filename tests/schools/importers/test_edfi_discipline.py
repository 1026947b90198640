"""Ed-Fi StudentDiscipline: victims become BULLYING observations; the rest is skipped."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET  # trusted sample files, read only by the tests
from collections import Counter

import pytest

from schools.importers import ImportRefused, import_file, import_user
from schools.models import Observation, ObservationSign, Student

from .conftest import NS, edfi

PARTICIPATION = f"{NS}DisciplineIncidentParticipationCode"


def plain_participations(path):
    root = ET.parse(path).getroot()  # noqa: S314
    out = {}
    for tag in (
        "StudentDisciplineIncidentBehaviorAssociation",
        "StudentDisciplineIncidentNonOffenderAssociation",
    ):
        out[tag] = Counter(
            code.text.split("#")[-1]
            for el in root.findall(f"{NS}{tag}")
            for code in el.findall(PARTICIPATION)
        )
    return out


def test_the_sample_has_no_student_victim_and_creates_no_observation(grand_bend):
    path = edfi("StudentDiscipline.xml")
    plain = plain_participations(path)
    assert plain["StudentDisciplineIncidentBehaviorAssociation"] == {"Perpetrator": 21}
    assert plain["StudentDisciplineIncidentNonOffenderAssociation"] == {"Witness": 2}

    report = import_file(path, create_students=True)

    assert report.skipped["participation_perpetrator"] == 21
    assert report.skipped["participation_witness"] == 2
    # Everything else in the file is skipped by reason too (docs/IMPORTS.md, the sample table).
    root = ET.parse(path).getroot()  # noqa: S314
    assert dict(report.skipped) == {
        "participation_perpetrator": 21,
        "participation_witness": 2,
        "incident_details": len(root.findall(f"{NS}DisciplineIncident")),
        "discipline_action": len(root.findall(f"{NS}DisciplineAction")),
        "staff_association": len(root.findall(f"{NS}StaffDisciplineIncidentAssociation")),
    }
    assert report.applied == 0
    assert report.applied + sum(report.skipped.values()) == report.read
    assert report.observations["created"] == 0
    assert not Observation.objects.exists() and not Student.objects.exists()


VICTIM_FILE = """<?xml version="1.0" encoding="UTF-8"?>
<InterchangeStudentDiscipline xmlns="http://ed-fi.org/5.2.0">
  <StudentDisciplineIncidentNonOffenderAssociation>
    <StudentReference><StudentIdentity><StudentUniqueId>{ref}</StudentUniqueId>
    </StudentIdentity></StudentReference>
    <DisciplineIncidentReference ref="DISC_1"/>
    <DisciplineIncidentParticipationCode>uri://ed-fi.org/DisciplineIncidentParticipationCodeDescriptor#Victim</DisciplineIncidentParticipationCode>
  </StudentDisciplineIncidentNonOffenderAssociation>
  <StudentDisciplineIncidentBehaviorAssociation>
    <StudentReference><StudentIdentity><StudentUniqueId>{other}</StudentUniqueId>
    </StudentIdentity></StudentReference>
    <DisciplineIncidentReference ref="DISC_1"/>
    <Behavior>uri://ed-fi.org/BehaviorDescriptor#School Code of Conduct</Behavior>
    <DisciplineIncidentParticipationCode>uri://ed-fi.org/DisciplineIncidentParticipationCodeDescriptor#Perpetrator</DisciplineIncidentParticipationCode>
  </StudentDisciplineIncidentBehaviorAssociation>
  <DisciplineIncident id="DISC_1">
    <IncidentIdentifier>1</IncidentIdentifier>
    <IncidentDate>{day}</IncidentDate>
    <SchoolReference><SchoolIdentity><SchoolId>255901001</SchoolId></SchoolIdentity>
    </SchoolReference>
  </DisciplineIncident>
</InterchangeStudentDiscipline>
"""


@pytest.fixture
def victim_file(tmp_path):
    path = tmp_path / "victim.xml"
    path.write_text(VICTIM_FILE.format(ref="700123", other="700456", day="2022-02-14"))
    return path


def test_a_student_victim_becomes_one_bullying_observation(grand_bend, victim_file):
    report = import_file(victim_file, create_students=True)

    assert report.observations["created"] == 1
    assert report.skipped == {"participation_perpetrator": 1, "incident_details": 1}
    (observation,) = Observation.objects.all()
    assert observation.observed_on == dt.date(2022, 2, 14)
    assert observation.student.school == grand_bend["gb1001"]
    assert observation.recorded_by == import_user()
    assert not observation.recorded_by.is_active
    assert list(ObservationSign.objects.values_list("sign", flat=True)) == ["BULLYING"]
    # The perpetrator is not created: only the victim's record needed a student.
    assert Student.objects.count() == 1

    again = import_file(victim_file, create_students=True)
    assert again.observations == {"created": 0, "unchanged": 1}
    assert Observation.objects.count() == 1


def test_a_victim_not_known_is_skipped_without_create_students(grand_bend, victim_file):
    report = import_file(victim_file)
    assert report.skipped["unknown_student"] == 1
    assert not Observation.objects.exists() and not Student.objects.exists()


def test_a_victim_of_an_incident_missing_from_the_file_refuses_it(grand_bend, tmp_path):
    path = tmp_path / "orphan.xml"
    path.write_text(
        VICTIM_FILE.format(ref="700123", other="700456", day="2022-02-14").replace(
            'ref="DISC_1"/>\n    <DisciplineIncidentParticipationCode>uri://ed-fi.org/'
            "DisciplineIncidentParticipationCodeDescriptor#Victim",
            'ref="DISC_9"/>\n    <DisciplineIncidentParticipationCode>uri://ed-fi.org/'
            "DisciplineIncidentParticipationCodeDescriptor#Victim",
        )
    )
    with pytest.raises(ImportRefused) as refused:
        import_file(path, create_students=True)
    assert [str(p) for p in refused.value.problems] == [
        "element StudentDisciplineIncidentNonOffenderAssociation #1: refers to a "
        "DisciplineIncident that is not in this file"
    ]
    assert not Observation.objects.exists()
