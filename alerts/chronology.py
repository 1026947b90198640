"""The case chronology: everything on a case's timeline, the why-flagged evidence and the
chart, as one read a counsellor takes into a meeting or a referral (the PDF and the printed
case page show it).

A selector: it reads and writes nothing. The audit entry of an export is written by the view
that hands the document out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.models import User
from schools.models import School, Student
from schools.signs import SIGNS

from .case_dates import case_why_flagged_dated
from .charts import chart_geometry, weekly_series
from .models import Case, CaseEvent, CaseStatus, EventKind, Severity, Stage

# The chart reaches back this far before the first evidence, and at most this far overall.
CHART_LEAD = dt.timedelta(weeks=3)
CHART_SPAN = dt.timedelta(weeks=30)


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _date(value: str | None) -> str:
    if not value:
        return _("none")
    return date_format(dt.date.fromisoformat(value), _("D j M Y"))


def _steps(label: str, before: str, after: str) -> str:
    return _("%(what)s: %(before)s → %(after)s") % {"what": label, "before": before, "after": after}


def event_summary(event: CaseEvent, people: Mapping[int | None, str]) -> str:
    """One line saying what a timeline entry records, in plain words (the reader's language);
    `people` maps user ids named in an entry's detail (an owner change) to how the page names
    them."""
    detail = event.detail or {}
    kind = event.kind
    if kind == EventKind.OPENED:
        if detail.get("origin") == "person":
            return _("Opened by hand: raised by a person")
        return _("Opened: a rule fired")
    if kind == EventKind.REOPENED:
        if detail.get("by_hand"):
            return _("Reopened by hand")
        return _("Reopened: a rule fired again on newer evidence")
    if kind == EventKind.STATUS_CHANGE:
        return _steps(
            _("Status"), _label(CaseStatus, event.from_status), _label(CaseStatus, event.to_status)
        )
    if kind == EventKind.ACTION:
        return _("Action taken: %(action)s") % {"action": event.get_action_type_display()}
    if kind == EventKind.EVIDENCE:
        added = detail.get("added", 0)
        return ngettext(
            "Evidence added: %(count)s record", "Evidence added: %(count)s records", added
        ) % {"count": added}
    if kind == EventKind.STAGE_CHANGE:
        return _steps(
            _("Stage raised"),
            _label(Stage, detail.get("from", "")),
            _label(Stage, detail.get("to", "")),
        )
    if kind == EventKind.SEVERITY_CHANGE:
        return _steps(
            _("Severity raised"),
            _label(Severity, detail.get("from", "")),
            _label(Severity, detail.get("to", "")),
        )
    if kind == EventKind.RESOLUTION_SUGGESTED:
        return _("Resolution suggested: no pattern for %(weeks)s school weeks") % {
            "weeks": detail.get("clean_weeks", "?")
        }
    if kind == EventKind.ESCALATION:
        return _("Escalated: not acknowledged in time")
    if kind == EventKind.OWNER_CHANGE:
        before = people.get(detail.get("from"), _("nobody"))
        after = people.get(detail.get("to"), _("nobody"))
        return _steps(_("Owner"), before, after)
    if kind == EventKind.REVIEW_SET:
        if detail.get("to"):
            return _("Review date set: %(day)s") % {"day": _date(detail.get("to"))}
        return _("Review date cleared")
    if kind == EventKind.REVIEW_DUE:
        return _("Review due (%(day)s): the owner was reminded") % {
            "day": _date(detail.get("review_on"))
        }
    if kind == EventKind.NOTE:
        return _("Note")
    return event.get_kind_display()


@dataclass
class TimelineEntry:
    at: dt.datetime
    author: str
    summary: str
    text: str


@dataclass
class Chronology:
    case: Case
    student: Student
    school: School
    owner: User | None
    produced_by: User
    produced_at: dt.datetime
    entries: list[TimelineEntry] = field(default_factory=list)
    rules: list[dict] = field(default_factory=list)
    chart: dict = field(default_factory=dict)
    context_signs: list[str] = field(default_factory=list)

    @property
    def filename(self) -> str:
        return f"chronology-{self.student.code}-{self.produced_at:%Y-%m-%d}.pdf"


def case_timeline(*, case: Case, newest_first: bool = False) -> list[TimelineEntry]:
    """The timeline entries of `case` with a plain-language summary each, oldest first (a
    chronology reads forwards) unless `newest_first`."""
    order = ("-at", "-id") if newest_first else ("at", "id")
    events = list(CaseEvent.objects.filter(case=case).select_related("author").order_by(*order))
    ids = {
        v
        for e in events
        if e.kind == EventKind.OWNER_CHANGE
        for v in ((e.detail or {}).get("from"), (e.detail or {}).get("to"))
        if v
    }
    people: dict[int | None, str] = dict(User.objects.filter(pk__in=ids).values_list("pk", "email"))
    return [
        TimelineEntry(
            at=e.at,
            author=str(e.author) if e.author else _("the service"),
            summary=event_summary(e, people),
            text=e.text,
        )
        for e in events
    ]


def case_chronology(*, case: Case, by: User) -> Chronology:
    """Everything the chronology of `case` shows, produced by `by` now (school-local)."""
    student = case.student
    school = student.school
    today = school.today()
    start = min(case.first_evidence_on, case.persisted_since) - CHART_LEAD
    start = max(start, today - CHART_SPAN)
    weeks = weekly_series(school=school, start=start, end=today, student=student)
    return Chronology(
        case=case,
        student=student,
        school=school,
        owner=case.owner,
        produced_by=by,
        produced_at=timezone.localtime(timezone.now(), school.tz),
        entries=case_timeline(case=case),
        rules=case_why_flagged_dated(case=case),
        chart=chart_geometry(weeks),
        context_signs=[str(SIGNS[c].label) for c in case.context_signs or () if c in SIGNS],
    )
