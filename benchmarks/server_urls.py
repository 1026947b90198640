"""The project's URLs plus two views served only by the benchmark's gunicorn
(benchmarks/server_settings.py), measured in the same run as the real endpoints:

- a bare JSON view: what a request costs in this Django, with all of the project's
  middleware and none of its work;
- the observation POST's own work without Django REST framework: the same token check, the
  same student read and the same insert (the functions the endpoint calls), with no
  serializer, content negotiation, permission classes or throttles, and no validation beyond
  what those functions do. It is not an endpoint to serve (it skips the API's checks and
  error answers); it says how much of the POST's cost is the work itself, and so how close
  to the bare view any Django view that does that work can come."""

from __future__ import annotations

import datetime as dt
import json

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from core.urls import urlpatterns as project_urlpatterns
from schools import tenancy
from schools.authentication import TokenAuthentication
from schools.selectors import StudentResolver
from schools.services.observations import observation_create

_TOKENS = TokenAuthentication()


@csrf_exempt
def bare(request):
    """Parse the JSON body and answer with JSON: no authentication, no query."""
    body = json.loads(request.body or b"{}")
    return JsonResponse({"ok": True, "fields": sorted(body)}, status=201)


@csrf_exempt
def observation_work(request):
    """The observation POST's three statements and its answer, without DRF."""
    body = json.loads(request.body)
    token = request.headers["Authorization"].split()[1].encode()
    user, _token = _TOKENS.authenticate_credentials(token)
    resolver = StudentResolver(user, tenancy.STAFF_ROLES)  # the endpoint's own, one query
    _school, student = resolver.school_and_student(body.get("school"), body["student"])
    observation, _created = observation_create(
        student=student,
        observed_on=dt.date.fromisoformat(body["observed_on"]),
        signs=body["signs"],
        recorded_by=user,
    )
    answer = {
        "id": observation.pk,
        "student": student.code,
        "observed_on": body["observed_on"],
        "signs": observation.written_signs,  # type: ignore[attr-defined]
    }
    return JsonResponse(answer, status=201)


urlpatterns = [
    path("bench/bare/", bare, name="bench-bare"),
    path("bench/observation-work/", observation_work, name="bench-observation-work"),
    *project_urlpatterns,
]
