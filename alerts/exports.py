"""CSV exports: the cases list (with the page's filters) and the school overview.

Pure builders: they take rows already scoped to the user and return text. Every cell that a
spreadsheet would read as a formula (=, +, -, @, a tab or a carriage return first) is
prefixed with an apostrophe, so a rule name or a code can never run as one. The views audit
every export.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count
from django.utils.translation import gettext as _

from schools.models import School

from .charts import CATEGORY_ORDER, weekly_series
from .models import Case, CaseStatus, Stage

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Machine-readable column names, the same in every language (docs/I18N.md); the cells of
# status, stage, severity and origin are the labels in the reader's language.
CASE_COLUMNS = [
    "student",
    "year_group",
    "school",
    "status",
    "stage",
    "severity",
    "opened_by",
    "owner",
    "review_on",
    "review_overdue",
    "opened_on",
    "pattern_since",
    "last_evidence_on",
    "last_activity",
    "rules",
]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def _csv(header: list[str], rows: Iterable[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def cases_csv(cases: Iterable[Case]) -> str:
    """One row per case, in the order given (the list's order); `cases` come from
    alerts.views.cases.worklist (owner, last_activity and fired rules loaded)."""
    rows = []
    for case in cases:
        school = case.student.school
        today = school.today()
        rows.append(
            [
                case.student.code,
                case.student.year_group,
                school.code,
                case.get_status_display(),
                case.get_stage_display(),
                case.get_severity_display(),
                case.get_origin_display(),
                case.owner.email if case.owner else "",
                case.review_on,
                "yes" if case.is_open and case.review_on and case.review_on < today else "",
                case.opened_at.astimezone(school.tz).date(),
                case.persisted_since,
                case.last_evidence_on,
                getattr(case, "last_activity", None),
                "; ".join(r.rule_name for r in case.fired_rules.all()),
            ]
        )
    return _csv(CASE_COLUMNS, rows)


def overview_csv(*, school: School, cases, weeks: int = 12) -> str:
    """The school overview as two tables in one file: cases by status and stage, then signs
    and attendance per school week over the last `weeks` weeks. `cases` is the school's
    case queryset, already scoped to the user."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for row in cases.values("stage", "status").annotate(n=Count("id")):
        counts[(row["stage"], row["status"])] += row["n"]
    stages = list(Stage)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            _("cases by status and stage at %(school)s on %(day)s")
            % {"school": school.code, "day": school.today().isoformat()}
        ]
    )
    writer.writerow([_("status"), *(s.label for s in stages), _("all stages")])
    for status in CaseStatus:
        cells = [counts[(s.value, status.value)] for s in stages]
        writer.writerow([status.label, *cells, sum(cells)])
    totals = [sum(counts[(s.value, st.value)] for st in CaseStatus) for s in stages]
    writer.writerow([_("all statuses"), *totals, sum(totals)])
    writer.writerow([])
    today = school.today()
    series = weekly_series(school=school, start=today - dt.timedelta(weeks=weeks), end=today)
    signs = [_("%(label)s signs") % {"label": c.label} for c in CATEGORY_ORDER]
    writer.writerow([_("school week starting"), _("school days"), *signs, _("attendance %")])
    for week in series:
        writer.writerow(
            [
                week.starts_on.isoformat(),
                week.school_days,
                *(week.signs[c.value] for c in CATEGORY_ORDER),
                "" if week.rate is None else week.rate,
            ]
        )
    return out.getvalue()
