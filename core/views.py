"""Account pages that are not Django's defaults."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.views import PasswordResetView
from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views import defaults

from .broker import publish_quickly
from .forms import ProfileForm
from .i18n import SCHOOL_LANGUAGE, language_of, supported
from .lockout import PasswordResetAddressThrottle, PasswordResetEmailThrottle

if TYPE_CHECKING:
    from .lockout import _PageThrottle

RESET_TASK = "core.tasks.send_password_reset"
# Accounts that never get a reset link: integrations, which have no password to reset. The
# schools app knows which accounts they are (core knows nothing of schools).
NO_RESET_ACCOUNTS = "schools.selectors.integration_accounts"


class StaffPasswordResetForm(PasswordResetForm):
    """Django's reset form writes only to accounts that already have a usable password. Here
    every account is a local one, and a colleague added by a school admin has none until they
    follow their welcome link; if that e-mail is lost, the ordinary reset must still reach
    them. Inactive accounts and integration accounts still get nothing, and the page says
    the same either way.

    The request only queues the e-mail; the worker looks the address up and sends it
    (core.accounts.password_reset_send). So the request does the same work, and takes the same
    time, whether or not an account has that address."""

    def get_users(self, email):
        excluded = import_string(NO_RESET_ACCOUNTS)().values("pk")
        users = (
            get_user_model()
            ._default_manager.filter(email__iexact=email, is_active=True)
            .exclude(pk__in=excluded)
        )
        return (u for u in users if u.email.lower() == email.lower())

    def send_mail(self, *args: Any, **kwargs: Any) -> None:
        # The worker sends in no particular language: each e-mail in its recipient's.
        context = kwargs.get("context", args[2] if len(args) > 2 else {})
        with language_of(context.get("user")):
            super().send_mail(*args, **kwargs)

    def save(
        self,
        domain_override: str | None = None,
        *args: Any,
        use_https: bool = False,
        request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> None:
        if domain_override:
            domain = site_name = domain_override
        else:
            site = get_current_site(request)
            domain, site_name = site.domain, site.name
        task_args = [self.cleaned_data["email"], domain, site_name, use_https]
        # One bounded attempt: with the broker down the page answers at once (and the person
        # asks again later); the same for any address.
        transaction.on_commit(lambda: publish_quickly(RESET_TASK, args=task_args), robust=True)


class StaffPasswordResetView(PasswordResetView):
    """Rate limited per address and per e-mail address (core.lockout): past either limit the
    form comes back with when to try again, and nothing is queued. The e-mail limit counts
    an address with an account and one without alike."""

    form_class = StaffPasswordResetForm
    email_template_name = "registration/password_reset_email.txt"

    def post(self, request, *args, **kwargs):
        self.throttled: _PageThrottle | None = None
        address = PasswordResetAddressThrottle()
        if not address.allow(request):
            self.throttled = address
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        if self.throttled is None:
            email = PasswordResetEmailThrottle(form.cleaned_data["email"])
            if not email.allow(self.request):
                self.throttled = email
        if self.throttled is not None:
            form.add_error(None, self.throttled.retry_message())
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


@login_required
def profile(request):
    """A person's own settings: the name colleagues see and the language they read in."""
    school_language = supported(import_string(SCHOOL_LANGUAGE)(request.user))
    form = ProfileForm(
        request.POST or None,
        instance=request.user,
        school_language=school_language or settings.LANGUAGE_CODE,
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        # Said in the language just chosen: the next page is in it.
        with language_of(request.user):
            messages.success(request, _("Your profile is saved."))
        return redirect("profile")
    return render(request, "registration/profile.html", {"form": form})


def not_found(request, exception=None):
    """404 for a URL that matches no route: under /api/ in the API's shape (JSON), like the
    API's own 404s; elsewhere the site's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    response = defaults.page_not_found(request, exception)
    # A mark for core.middleware (this is the site's own 404 page, not a view's bare 404).
    response.own_not_found_page = True  # type: ignore[attr-defined]
    return response


def server_error(request):
    """500: the service's own page, rendered without the request's context (whatever failed
    may be what the context needs)."""
    return defaults.server_error(request)
