"""Account pages that are not Django's defaults."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.views import PasswordResetView


class StaffPasswordResetForm(PasswordResetForm):
    """Django's reset form writes only to accounts that already have a usable password. Here
    every account is a local one, and a colleague added by a school admin has none until they
    follow their welcome link; if that e-mail is lost, the ordinary reset must still reach
    them. Inactive accounts still get nothing, and the page says the same either way."""

    def get_users(self, email):
        users = get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
        return (u for u in users if u.email.lower() == email.lower())


class StaffPasswordResetView(PasswordResetView):
    form_class = StaffPasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
