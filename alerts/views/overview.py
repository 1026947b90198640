"""The school overview: cases by status and stage, and the last twelve school weeks."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from schools import tenancy
from schools.tenancy import current_school

from .. import selectors
from ..charts import chart_geometry, weekly_series


@login_required
def overview(request):
    school = current_school(request, tenancy.CASEWORK_ROLES)
    counts = selectors.case_counts(school=school, user=request.user)
    today = school.today()
    weeks = weekly_series(school=school, start=today - dt.timedelta(weeks=12), end=today)
    return render(
        request,
        "alerts/overview.html",
        {
            "school": school,
            "schools": list(tenancy.schools_for(request.user, roles=tenancy.CASEWORK_ROLES)),
            **counts,
            "chart": chart_geometry(weeks),
            "weeks": weeks,
        },
    )
