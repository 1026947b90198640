"""The page that asks a person of several schools which one a page is for."""

from __future__ import annotations

from django.shortcuts import render

from .tenancy import SchoolChoiceNeeded


class SchoolChoiceMiddleware:
    """Answers SchoolChoiceNeeded with a page of the person's schools, each a link to the
    same page for that school. A form sent without its school is refused (400) the same way,
    with nothing saved, so no school is ever assumed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, SchoolChoiceNeeded):
            return None
        query = request.GET.copy()
        query.pop("school", None)
        links = []
        for school in exception.schools:
            query["school"] = school.code
            links.append((school, f"{request.path}?{query.urlencode()}"))
        return render(
            request,
            "schools/choose_school.html",
            {"links": links, "refused_form": request.method == "POST"},
            status=400 if request.method == "POST" else 200,
        )
