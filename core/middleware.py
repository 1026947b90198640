"""Response headers every page and API answer carries.

A strict Content-Security-Policy on every page the project renders: every script, style and
image is served by the project itself (a school network may block outside hosts), and no page
carries inline JavaScript or inline event handlers, so the policy can forbid both: an injected
`<script>` in a note would simply not run. And no answer to a signed-in user is stored.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers

from .i18n import language_for

DEFAULT_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "CONTENT_SECURITY_POLICY", DEFAULT_POLICY)
        # Third-party pages that still need inline script (the Swagger UI page) are listed
        # here rather than loosening the policy for every page.
        self.exempt = tuple(getattr(settings, "CSP_EXEMPT_PATH_PREFIXES", ()))

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy and not request.path.startswith(self.exempt):
            response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


class NoStoreForSignedInMiddleware:
    """`Cache-Control: no-store, private` on every answer to a signed-in user (session or API
    token): cases, notes, the student page and previews are child-welfare data, and must not
    stay in a shared school computer's browser cache or in a proxy after the person has gone.

    Applied to every signed-in answer rather than page by page, so a new page with case data
    cannot forget it. Static files never reach this middleware (WhiteNoise answers first) and
    keep their long cache lifetimes.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # DRF puts the token's user on the request too, once the view has authenticated it.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response


class UserLanguageMiddleware:
    """A signed-in person reads every page in their own language (or their school's); before
    signing in, Django's LocaleMiddleware has already chosen from the language cookie or the
    browser's Accept-Language. Runs after AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = language_for(user)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        return response


class OwnNotFoundPageMiddleware:
    """With DEBUG on (`make run`), Django answers a 404 with its debug page, which lists every
    URL pattern of the service: a teacher who typed a counsellor's URL would read the map of
    the casework pages. This puts the service's own 404 page in its place, so the embedded run
    answers as a deployment does. With DEBUG off Django already uses `handler404`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and response.get("Content-Type", "").startswith("text/html")
            and not getattr(response, "own_not_found_page", False)
        ):
            from .views import not_found

            response = not_found(request)
        return response
