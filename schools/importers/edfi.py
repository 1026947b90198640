"""Ed-Fi XML interchanges, read as a stream (bounded memory, no DTDs, no entities).

- InterchangeStudentAttendance: StudentSchoolAttendanceEvent (daily events) and
  StudentSectionAttendanceEvent (class-period events; only tardies are imported).
- InterchangeStudentDiscipline: a student who took part in an incident as a victim gets a
  BULLYING context observation; every other participation is skipped, by reason.
- InterchangeEducationOrgCalendar: Session -> Term, a non-instructional CalendarDate ->
  ClosureDay, so the "present unless recorded" rule has the calendar Ed-Fi intends.

Every event names its school by Ed-Fi SchoolId; School.edfi_school_id routes it. A SchoolId no
school claims refuses the file (unless the import is restricted to one school, when the other
schools' records are skipped). A StudentUniqueId is turned into a pseudonymous code at once; it
is never stored, logged or echoed: problems name the element and its ordinal in the file.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import ClosureDay, RecordSource, School, Term
from ..signs import Sign
from . import edfi_xml as xml
from .codes import EDFI_CATEGORIES, edfi_sessions
from .context import ImportContext
from .report import ImportRefused

FORMAT = "edfi"
SOURCE = RecordSource.IMPORT_EDFI

ATTENDANCE = "InterchangeStudentAttendance"
DISCIPLINE = "InterchangeStudentDiscipline"
CALENDAR = "InterchangeEducationOrgCalendar"
INTERCHANGES = (ATTENDANCE, DISCIPLINE, CALENDAR)

SCHOOL_EVENT = "StudentSchoolAttendanceEvent"
SECTION_EVENT = "StudentSectionAttendanceEvent"
PARTICIPATIONS = (
    "StudentDisciplineIncidentBehaviorAssociation",
    "StudentDisciplineIncidentNonOffenderAssociation",
)
INSTRUCTIONAL = {"Instructional day", "Make-up day"}

# Top-level elements read but not imported, and the reason the report gives for each (keys of
# the report's "skipped", read by programs: not translated).
NOT_IMPORTED = {
    "DisciplineIncident": "incident_details",  # read for its date and school only
    "DisciplineAction": "discipline_action",
    "StaffDisciplineIncidentAssociation": "staff_association",
    "GradingPeriod": "grading_period",
    "Calendar": "calendar_header",
}

# Stored as the observation's note, like the notes people write (data: not translated).
VICTIM_NOTE = "Imported: recorded as a victim in a discipline incident in the school's system."
# Observations made from an incident get a client id derived from it, so a second import of
# the same file finds them instead of recording them again.
VICTIM_NAMESPACE = uuid.UUID("7b0f6f0e-3c43-4b8c-9a37-5b7f2f3c1e55")


@dataclass
class Victim:
    school: School
    student_code: str
    observed_on: dt.date
    client_id: uuid.UUID
    where: str


class EdfiReader:
    def __init__(self, *, ctx: ImportContext, only_school: School | None):
        self.ctx = ctx
        self.report = ctx.report
        self.only_school = only_school
        self.routes = {s.edfi_school_id: s for s in School.objects.exclude(edfi_school_id=None)}
        self.unknown_school_ids: Counter[str] = Counter()
        self.unknown_first: dict[str, str] = {}
        # (SchoolId, date, a key of the incident), by the incident's id and its identity.
        self.incidents: dict[object, tuple[str | None, dt.date | None, str]] = {}
        self.pending_victims: list[tuple[int, str, str, object]] = []
        self.victims: list[Victim] = []
        self.interchange = ""

    # -- routing ------------------------------------------------------------------------
    def school_for(self, school_id: str | None, where: str) -> School | None:
        """The school that claims `school_id`, or None after counting why (skip or problem)."""
        if school_id is None:
            self.report.problem(where, _("no SchoolId"))
            return None
        try:
            school = self.routes.get(int(school_id))
        except ValueError:
            school = None
        if self.only_school is not None and school != self.only_school:
            self.report.skip("other_school")
            return None
        if school is None:
            self.unknown_school_ids[school_id] += 1
            self.unknown_first.setdefault(school_id, where)
            return None
        return school

    # -- the stream ---------------------------------------------------------------------
    def read(self, stream: BinaryIO, progress: Callable[[int], None] | None) -> None:
        depth = 0
        root: Element | None = None
        ordinal: Counter[str] = Counter()
        number = 0
        # Names each record in a problem; translated once per file, not once per element.
        element_where = _("element %(name)s #%(n)d")
        try:
            for event, el in iterparse(stream, events=("start", "end"), forbid_dtd=True):
                if event == "start":
                    if depth == 0:
                        root = el
                        self.interchange = xml.local_name(el.tag)
                        if self.interchange not in INTERCHANGES or "ed-fi.org" not in el.tag:
                            raise ImportRefused(
                                _(
                                    "This is not an Ed-Fi interchange this service imports (the "
                                    "root element is %(root)s; expected one of %(expected)s), so "
                                    "nothing was written."
                                )
                                % {"root": self.interchange, "expected": ", ".join(INTERCHANGES)}
                            )
                    depth += 1
                    continue
                depth -= 1
                if depth != 1:
                    continue
                name = xml.local_name(el.tag)
                ordinal[name] += 1
                number += 1
                self.report.read += 1
                self.report.applied += 1
                self.handle(el, name, number, element_where % {"name": name, "n": ordinal[name]})
                if root is not None:
                    root.clear()  # bounded memory: drop each record once handled
                if progress is not None and number % 2000 == 0:
                    progress(stream.tell())
        except ParseError as e:
            line, column = getattr(e, "position", (0, 0))
            raise ImportRefused(
                _(
                    "The XML is malformed or truncated at line %(line)d, column %(column)d, so "
                    "nothing was written."
                )
                % {"line": line, "column": column}
            ) from None
        except DefusedXmlException:
            raise ImportRefused(
                _("The XML declares a DTD or entities, which are refused; nothing was written.")
            ) from None
        if root is None:
            raise ImportRefused(_("The file is empty, so nothing was written."))
        self.finish_read()

    def handle(self, el: Element, name: str, number: int, where: str) -> None:
        if self.interchange == ATTENDANCE and name in (SCHOOL_EVENT, SECTION_EVENT):
            self.attendance_event(el, name, number, where)
        elif self.interchange == DISCIPLINE and name == "DisciplineIncident":
            self.incident(el, where)
        elif self.interchange == DISCIPLINE and name in PARTICIPATIONS:
            self.participation(el, number, where)
        elif self.interchange == CALENDAR and name == "Session":
            self.session(el, where)
        elif self.interchange == CALENDAR and name == "CalendarDate":
            self.calendar_date(el, where)
        else:
            self.report.skip(NOT_IMPORTED.get(name, f"not_imported:{name}"))

    def finish_read(self) -> None:
        for school_id, n in sorted(self.unknown_school_ids.items()):
            self.report.problem(
                self.unknown_first[school_id],
                ngettext(
                    "SchoolId %(id)s is not claimed by any school in this service (%(n)d "
                    "record); set that school's Ed-Fi SchoolId, or import for one school only",
                    "SchoolId %(id)s is not claimed by any school in this service (%(n)d "
                    "records); set that school's Ed-Fi SchoolId, or import for one school only",
                    n,
                )
                % {"id": school_id, "n": n},
            )
        for number, where, reference, key in self.pending_victims:
            self.resolve_victim(number, where, reference, key)
        self.pending_victims.clear()

    # -- attendance ---------------------------------------------------------------------
    def attendance_event(self, el: Element, name: str, number: int, where: str) -> None:
        event = xml.child(el, "AttendanceEvent")
        category = xml.descriptor(xml.text(event, "AttendanceEventCategory"))
        day = xml.date(xml.text(event, "EventDate"))
        reference = xml.text(el, "StudentReference", "StudentIdentity", "StudentUniqueId")
        if name == SCHOOL_EVENT:
            school_id = xml.text(el, "SchoolReference", "SchoolIdentity", "SchoolId")
        else:
            school_id = xml.descendant_text(xml.child(el, "SectionReference"), "SchoolId")
        if category not in EDFI_CATEGORIES or day is None or reference is None:
            checks = (
                (category in EDFI_CATEGORIES, _("no AttendanceEventCategory this service knows")),
                (day is not None, _("no valid EventDate")),
                (reference is not None, _("no StudentUniqueId in its StudentReference")),
            )
            self.report.problem(where, _("; ").join(msg for ok, msg in checks if not ok))
            return
        self.report.by_category[category] += 1
        school = self.school_for(school_id, where)
        if school is None:
            return
        code = self.ctx.student_code(school, reference)
        self.report.tally(school.code, code)
        if name == SECTION_EVENT and category != "Tardy":
            # A missed class period is not a missed session; only lateness carries over.
            self.report.skip("section_event_not_tardy")
            return
        sessions = edfi_sessions(
            category,
            duration=xml.number(xml.text(event, "EventDuration")),
            arrival=xml.time(xml.text(el, "ArrivalTime")),
            departure=xml.time(xml.text(el, "DepartureTime")),
        )
        self.ctx.mark(
            number=number,
            where=where,
            school=school,
            student_code=code,
            date=day,
            sessions=sessions,
            status=EDFI_CATEGORIES[category],
            original_code=category,
        )

    # -- discipline ---------------------------------------------------------------------
    def incident(self, el: Element, where: str) -> None:
        identifier = xml.text(el, "IncidentIdentifier")
        school_id = xml.text(el, "SchoolReference", "SchoolIdentity", "SchoolId")
        facts = (school_id, xml.date(xml.text(el, "IncidentDate")), f"{school_id}/{identifier}")
        if el.get("id"):
            self.incidents[el.get("id")] = facts
        self.incidents[(identifier, school_id)] = facts
        self.report.skip(NOT_IMPORTED["DisciplineIncident"])

    def participation(self, el: Element, number: int, where: str) -> None:
        codes = [
            code
            for c in el
            if xml.local_name(c.tag) == "DisciplineIncidentParticipationCode"
            and (code := xml.descriptor(c.text)) is not None
        ]
        if "Victim" not in codes:
            reason = codes[0].lower().replace(" ", "_") if codes else "none"
            self.report.skip(f"participation_{reason}")
            return
        reference = xml.text(el, "StudentReference", "StudentIdentity", "StudentUniqueId")
        ref_el = xml.child(el, "DisciplineIncidentReference")
        if ref_el is not None and ref_el.get("ref"):
            key: object = ref_el.get("ref")
        else:
            identity = xml.child(ref_el, "DisciplineIncidentIdentity")
            key = (
                xml.text(identity, "IncidentIdentifier"),
                xml.text(identity, "SchoolReference", "SchoolIdentity", "SchoolId"),
            )
        if not reference:
            self.report.problem(where, _("no StudentUniqueId in its StudentReference"))
            return
        # The incident (date, school) may come later in the file; resolve after the stream.
        self.pending_victims.append((number, where, reference, key))

    def resolve_victim(self, number: int, where: str, reference: str, key: object) -> None:
        facts = self.incidents.get(key)
        if facts is None:
            self.report.problem(where, _("refers to a DisciplineIncident that is not in this file"))
            return
        school_id, day, incident_key = facts
        if day is None:
            self.report.problem(where, _("its DisciplineIncident has no valid IncidentDate"))
            return
        school = self.school_for(school_id, where)
        if school is None:
            return
        calendar = self.ctx.calendar(school)
        if day > calendar.today:
            self.report.problem(
                where, _("the incident date %(date)s is in the future") % {"date": day.isoformat()}
            )
            return
        if day < calendar.earliest:
            self.report.problem(
                where,
                _("the incident date %(date)s is before %(earliest)s (RECORDS_EARLIEST_DATE)")
                % {"date": day.isoformat(), "earliest": calendar.earliest.isoformat()},
            )
            return
        code = self.ctx.student_code(school, reference)
        self.report.by_category["victim"] += 1
        self.report.tally(school.code, code)
        client_id = uuid.uuid5(VICTIM_NAMESPACE, f"{school.pk}:{incident_key}:{code}")
        self.victims.append(Victim(school, code, day, client_id, where))

    # -- calendar -----------------------------------------------------------------------
    def session(self, el: Element, where: str) -> None:
        begins, ends = xml.date(xml.text(el, "BeginDate")), xml.date(xml.text(el, "EndDate"))
        name = xml.text(el, "SessionName") or "Ed-Fi session"
        if begins is None or ends is None or ends < begins:
            self.report.problem(where, _("no valid BeginDate and EndDate"))
            return
        school = self.school_for(
            xml.text(el, "SchoolReference", "SchoolIdentity", "SchoolId"), where
        )
        if school is None:
            return
        self.report.by_category["session"] += 1
        _term, created = Term.objects.get_or_create(
            school=school, starts_on=begins, ends_on=ends, defaults={"name": name[:60]}
        )
        self.report.calendar["created" if created else "unchanged"] += 1

    def calendar_date(self, el: Element, where: str) -> None:
        day = xml.date(xml.text(el, "Date"))
        events = [
            event
            for c in el
            if xml.local_name(c.tag) == "CalendarEvent"
            and (event := xml.descriptor(c.text)) is not None
        ]
        school_id = xml.descendant_text(xml.child(el, "CalendarReference"), "SchoolId")
        if day is None or not events:
            self.report.problem(where, _("no valid Date or CalendarEvent"))
            return
        if any(e in INSTRUCTIONAL for e in events):
            self.report.skip("instructional_day")
            return
        school = self.school_for(school_id, where)
        if school is None:
            return
        self.report.by_category["closure"] += 1
        _closure, created = ClosureDay.objects.get_or_create(
            school=school, date=day, defaults={"reason": events[0][:80]}
        )
        self.report.calendar["created" if created else "unchanged"] += 1


BULLYING = Sign.BULLYING
