"""A strict Content-Security-Policy on every page the project renders.

Every script, style and image is served by the project itself (a school network may block
outside hosts), and no page carries inline JavaScript or inline event handlers, so the policy
can forbid both: an injected `<script>` in a note would simply not run.
"""

from __future__ import annotations

from django.conf import settings

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
