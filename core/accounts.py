"""Account e-mails sent by the worker rather than in a request."""

from __future__ import annotations

from django.contrib.auth.forms import PasswordResetForm

from .views import StaffPasswordResetForm, StaffPasswordResetView


def password_reset_send(*, email: str, domain: str, site_name: str, use_https: bool) -> int:
    """E-mail a one-time link to choose a new password to every active account with the
    address `email` (in any case), except integration accounts; an address no account has
    gets nothing. Links point to `domain`. Returns how many e-mails were sent.

    Runs in the worker, so the request that asked for it answers the same, in the same time,
    for every address.
    """
    form = StaffPasswordResetForm({"email": email})
    if not form.is_valid():
        return 0
    recipients = len(list(form.get_users(form.cleaned_data["email"])))
    # Django's own sending (tokens, context, templates), not the form's queueing save().
    PasswordResetForm.save(
        form,
        domain_override=domain,
        use_https=use_https,
        subject_template_name=StaffPasswordResetView.subject_template_name,
        email_template_name=StaffPasswordResetView.email_template_name,
        extra_email_context={"site_name": site_name},
    )
    return recipients
