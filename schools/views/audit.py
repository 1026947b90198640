"""The school admin's audit page: who read or changed what at their school, filtered by
person, student code, action and date, and exported as CSV (the export is audited too)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from typing import cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.audit import audit_record
from core.limits import validate_date_bounds
from core.models import AuditEvent

from ..tenancy import ADMIN_ROLES, current_school
from .common import school_choices

# Machine-readable column names, the same in every language (docs/I18N.md).
CSV_COLUMNS = ["at", "person", "action", "object", "object_id", "student_code", "detail"]


class AuditFilterForm(forms.Form):
    person = forms.CharField(label=_("Person (e-mail)"), required=False, max_length=254)
    student = forms.CharField(label=_("Student code"), required=False, max_length=17)
    action = forms.ChoiceField(label=_("Action"), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, actions: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        action = cast(forms.ChoiceField, self.fields["action"])
        action.choices = [("", gettext("Any")), *[(a, a) for a in actions]]

    def clean_student(self):
        return self.cleaned_data["student"].strip().upper()

    def clean(self):
        data = super().clean() or {}
        for name in ("date_from", "date_to"):
            if data.get(name):
                try:
                    validate_date_bounds(data[name])
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(gettext("The first date is after the last."))
        return data


def audit_events(*, school, person="", student="", action="", date_from=None, date_to=None):
    """The school's audit rows matching the filters, newest first (dates are the school's)."""
    rows = AuditEvent.objects.filter(school_id=school.pk)
    if person:
        rows = rows.filter(actor_label__icontains=person.strip())
    if student:
        rows = rows.filter(student_code=student)
    if action:
        rows = rows.filter(action=action)
    tz = school.tz
    if date_from:
        rows = rows.filter(at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=tz))
    if date_to:
        end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        rows = rows.filter(at__lt=end)
    return rows.order_by("-at", "-id")


class _Echo:
    def write(self, value):
        return value


@login_required
def audit(request):
    school = current_school(request, ADMIN_ROLES)
    actions = sorted(
        AuditEvent.objects.filter(school_id=school.pk).values_list("action", flat=True).distinct()
    )
    form = AuditFilterForm(request.GET or None, actions=actions)
    filters = {}
    if form.is_bound and form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    rows = audit_events(school=school, **filters)
    if request.GET.get("format") == "csv" and (not form.is_bound or form.is_valid()):
        return _csv(request, school, rows, filters)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "schools/audit.html",
        {
            "school": school,
            "schools": school_choices(request, ADMIN_ROLES),
            "form": form,
            "page": page,
            "query": query.urlencode(),
        },
    )


def _csv(request, school, rows, filters):
    # The export is itself in the trail: who took which rows away, and when.
    audit_record(
        actor=request.user,
        action="audit.export",
        obj=school,
        school_id=school.pk,
        detail={k: str(v) for k, v in filters.items()},
    )
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(CSV_COLUMNS)
        for event in rows.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    event.at.astimezone(school.tz).isoformat(timespec="seconds"),
                    event.actor_label,
                    event.action,
                    event.object_type,
                    event.object_id if event.object_id is not None else "",
                    event.student_code,
                    json.dumps(event.detail, sort_keys=True) if event.detail else "",
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="audit-{school.code}-{dt.date.today().isoformat()}.csv"'
    )
    return response
