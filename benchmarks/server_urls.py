"""The project's URLs plus a bare JSON view, served only by the benchmark's gunicorn
(benchmarks/server_settings.py): what a request costs in this Django, with all of the
project's middleware and none of its work, measured in the same run as the real endpoints."""

from __future__ import annotations

import json

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from core.urls import urlpatterns as project_urlpatterns


@csrf_exempt
def bare(request):
    """Parse the JSON body and answer with JSON: no authentication, no query."""
    body = json.loads(request.body or b"{}")
    return JsonResponse({"ok": True, "fields": sorted(body)}, status=201)


urlpatterns = [path("bench/bare/", bare, name="bench-bare"), *project_urlpatterns]
