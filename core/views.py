"""Account pages that are not Django's defaults."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.views import PasswordResetView
from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views import defaults

from .broker import publish_quickly
from .forms import ProfileForm
from .i18n import SCHOOL_LANGUAGE, language_of, supported

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

    def send_mail(self, *args, **kwargs):
        # The worker sends in no particular language: each e-mail in its recipient's.
        context = kwargs.get("context", args[2] if len(args) > 2 else {})
        with language_of(context.get("user")):
            super().send_mail(*args, **kwargs)

    def save(self, domain_override=None, use_https=False, request=None, **kwargs):
        if domain_override:
            domain = site_name = domain_override
        else:
            site = get_current_site(request)
            domain, site_name = site.domain, site.name
        args = [self.cleaned_data["email"], domain, site_name, use_https]
        # One bounded attempt: with the broker down the page answers at once (and the person
        # asks again later); the same for any address.
        transaction.on_commit(lambda: publish_quickly(RESET_TASK, args=args), robust=True)


class StaffPasswordResetView(PasswordResetView):
    form_class = StaffPasswordResetForm
    email_template_name = "registration/password_reset_email.txt"


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
    return defaults.page_not_found(request, exception)
