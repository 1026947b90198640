"""Exports of casework: the cases list as CSV (with the page's filters), the school
overview as CSV, and a case's chronology as a PDF built on the server. Every export is in the
audit trail (core.audit) with who, what and how many rows, before it is handed out."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext

from core.audit import audit_record
from schools import tenancy
from schools.tenancy import current_school

from .. import selectors
from ..chronology import case_chronology
from ..exports import cases_csv, overview_csv
from ..pdf import pdf_from_template
from .cases import _case_or_404, case_filters, worklist

CASEWORK = tenancy.CASEWORK_ROLES


def _attachment(content: bytes | str, *, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def cases_export(request):
    """The cases the list shows with the same filters (every row, not only the first
    page), as CSV. Audited: who exported, with which filters, how many rows."""
    if not tenancy.school_ids(request.user, CASEWORK):
        raise Http404(gettext("No such page."))
    filters = case_filters(request)
    rows = list(worklist(request, filters))
    for school_id in tenancy.school_ids(request.user, CASEWORK):
        audit_record(
            actor=request.user,
            action="cases.export",
            obj=tenancy.schools_for(request.user, roles=CASEWORK).get(pk=school_id),
            school_id=school_id,
            detail={
                "format": "csv",
                "filters": filters.active(),
                "rows": sum(1 for c in rows if c.student.school_id == school_id),
            },
        )
    stamp = timezone.localdate().isoformat()
    return _attachment(
        cases_csv(rows), filename=f"cases-{stamp}.csv", content_type="text/csv; charset=utf-8"
    )


@login_required
def overview_export(request):
    """The school overview (cases by status and stage, and the weekly series) as CSV."""
    school = current_school(request, CASEWORK)
    case_qs = selectors.cases_visible_to(request.user).filter(student__school=school)
    audit_record(
        actor=request.user,
        action="overview.export",
        obj=school,
        school_id=school.pk,
        detail={"format": "csv"},
    )
    return _attachment(
        overview_csv(school=school, cases=case_qs),
        filename=f"overview-{school.code}-{school.today().isoformat()}.csv",
        content_type="text/csv; charset=utf-8",
    )


@login_required
def case_chronology_pdf(request, pk: int):
    """The case chronology as a PDF built on the server. Audited as an export."""
    case = _case_or_404(request, pk)
    chron = case_chronology(case=case, by=request.user)
    pdf = pdf_from_template("alerts/pdf/chronology.html", {"chron": chron})
    audit_record(
        actor=request.user,
        action="case.export",
        obj=case,
        school_id=case.student.school_id,
        detail={"format": "pdf", "events": len(chron.entries)},
    )
    return _attachment(pdf, filename=chron.filename, content_type="application/pdf")
