"""Pages for logging an observation (with the student type-ahead) and for one's own
observations: the list, a correction, a withdrawal."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.i18n import short_date
from core.screening import SCREENING_HELP

from .. import selectors, services, tenancy
from ..forms import CorrectionForm, MyObservationsFilterForm, ObservationForm, new_client_id
from ..models import Observation
from ..signs import SIGNS
from ..tenancy import current_school, with_school
from .common import school_choices

# --- log an observation ---------------------------------------------------------------------


@login_required
def observe(request):
    school = current_school(request, tenancy.STAFF_ROLES)
    students = selectors.staff_students(user=request.user, school=school)
    if request.method == "POST":
        form = ObservationForm(request.POST, school=school, students=students)
        if form.is_valid():
            data = form.cleaned_data
            try:
                observation, created = services.observation_create(
                    student=data["student"],
                    observed_on=data["observed_on"],
                    signs=data["signs"],
                    note=data["note"],
                    recorded_by=request.user,
                    client_id=data["client_id"],
                )
            except services.ClientIdConflict:
                form.add_error(None, _("This form was already used; please fill it in again."))
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                labels = _(", ").join(str(SIGNS[c].label) for c in observation.sign_codes)
                params = {
                    "code": observation.student.code,
                    "day": short_date(observation.observed_on),
                    "signs": labels,
                    "hours": services.observation_correction_hours(),
                }
                if created:
                    text = _(
                        "Recorded: %(code)s on %(day)s (%(signs)s). You can correct it under "
                        "My observations for %(hours)s hours."
                    )
                else:
                    text = _(
                        "Already recorded: %(code)s on %(day)s (%(signs)s). You can correct it "
                        "under My observations for %(hours)s hours."
                    )
                messages.success(request, text % params)
                return redirect(with_school(reverse("observe"), school, request))
    else:
        form = ObservationForm(
            initial={"observed_on": school.today(), "client_id": new_client_id()},
            school=school,
            students=students,
        )
    # One tap for the students this person wrote about lately: most entries are follow-ups.
    recent = list(
        Observation.objects.filter(recorded_by=request.user, student__in=students)
        .order_by("-created_at")
        .values_list("student__code", flat=True)[:30]
    )
    return render(
        request,
        "schools/observe.html",
        {
            "recent_codes": list(dict.fromkeys(recent))[:6],
            "form": form,
            "school": school,
            "schools": school_choices(request, tenancy.STAFF_ROLES),
            "screening_help": SCREENING_HELP,
        },
    )


@login_required
def student_search(request):
    """Type-ahead: the active students of the user's school whose code contains `q`."""
    school = current_school(request, tenancy.STAFF_ROLES)
    q = request.GET.get("q", "").strip().upper()[:17]
    rows = []
    if q:
        matches = (
            selectors.staff_students(user=request.user, school=school)
            .filter(code__contains=q)
            .order_by("code")[:10]
        )
        rows = [{"code": s.code, "year_group": s.year_group} for s in matches]
    return JsonResponse({"results": rows})


# --- my observations ------------------------------------------------------------------------


def _own_observations(request):
    return tenancy.scope(
        Observation.objects.filter(recorded_by=request.user),
        request.user,
        roles=tenancy.STAFF_ROLES,
    ).select_related("student", "recorded_by")


@login_required
def my_observations(request):
    if not tenancy.school_ids(request.user, tenancy.STAFF_ROLES):
        raise Http404(_("No such page."))
    filters = MyObservationsFilterForm(request.GET or None)
    qs = (
        _own_observations(request)
        .prefetch_related("signs")
        .select_related("replaces__student", "replaced_by__student")
    )
    if filters.is_valid():
        f = filters.cleaned_data
        if f["code"]:
            qs = qs.filter(student__code__icontains=f["code"])
        if f["start"]:
            qs = qs.filter(observed_on__gte=f["start"])
        if f["end"]:
            qs = qs.filter(observed_on__lte=f["end"])
    # By the date observed, newest first (what a teacher looks for), then as recorded.
    page = Paginator(qs.order_by("-observed_on", "-created_at", "-pk"), 25).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    rows = [
        {
            "obs": obs,
            "signs": [SIGNS[c] for c in obs.sign_codes],
            "can_correct": services.observation_can_correct(
                observation=obs, by=request.user, now=now
            ),
            "deadline": services.observation_correction_deadline(obs),
        }
        for obs in page
    ]
    return render(
        request,
        "schools/my_observations.html",
        {
            "page": page,
            "rows": rows,
            "hours": services.observation_correction_hours(),
            "filters": filters,
        },
    )


@login_required
def observation_correct(request, pk: int):
    observation = get_object_or_404(_own_observations(request), pk=pk)
    school = observation.student.school
    if not services.observation_can_correct(observation=observation, by=request.user):
        messages.error(request, _("This observation can no longer be corrected."))
        return redirect("my-observations")
    students = selectors.staff_students(user=request.user, school=school)
    if request.method == "POST":
        form = CorrectionForm(
            request.POST, school=school, students=students, observation=observation
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.observation_correct(
                    observation=observation,
                    by=request.user,
                    observed_on=data["observed_on"],
                    signs=data["signs"],
                    note=data["note"],
                    student=data["student"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    (
                        _("Corrected: the observation of %(code)s is now of %(new)s.")
                        % {"code": observation.student.code, "new": data["student"].code}
                        if data["student"] != observation.student
                        else _("Corrected: the observation of %(code)s.")
                        % {"code": observation.student.code}
                    ),
                )
                return redirect("my-observations")
    else:
        form = CorrectionForm(
            initial={
                "student": observation.student.code,
                "observed_on": observation.observed_on,
                "signs": observation.sign_codes,
                "note": observation.note,
            },
            school=school,
            students=students,
            observation=observation,
        )
    return render(
        request,
        "schools/observation_correct.html",
        {"form": form, "observation": observation, "screening_help": SCREENING_HELP},
    )


@login_required
@require_POST
def observation_withdraw(request, pk: int):
    observation = get_object_or_404(_own_observations(request), pk=pk)
    try:
        services.observation_withdraw_own(observation=observation, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _(
                "Withdrawn: the observation of %(code)s on %(day)s. It is kept on record but "
                "no longer counts."
            )
            % {"code": observation.student.code, "day": short_date(observation.observed_on)},
        )
    return redirect("my-observations")
