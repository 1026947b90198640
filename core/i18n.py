"""Which language a person reads the service in.

A person's own choice (their profile page) wins; without one, the default language of their
school; without a school, the site's LANGUAGE_CODE. Pages, e-mails and in-app notices all ask
here, so a counsellor in Milan gets her case e-mail in Italian even when the case was opened by
the nightly job, which runs in no language at all.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.conf import settings
from django.utils import translation
from django.utils.module_loading import import_string

# core knows nothing of schools: the schools app says which default applies to a person.
SCHOOL_LANGUAGE = "schools.selectors.school_language_for"


def supported(code: str | None) -> str | None:
    """`code` if it is one of LANGUAGES (exactly, or by its generic part), else None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def language_for(user) -> str:
    """The language `user` reads in: their own, their school's, or the site's."""
    own = supported(getattr(user, "language", ""))
    if own:
        return own
    if user is not None and getattr(user, "pk", None):
        school = supported(import_string(SCHOOL_LANGUAGE)(user))
        if school:
            return school
    return settings.LANGUAGE_CODE


@contextmanager
def language_of(user):
    """Render what is inside in `user`'s language (e-mails, notices, anything sent)."""
    with translation.override(language_for(user)):
        yield


def short_date(day) -> str:
    """A day and month for a message, in the reader's language ("03 Nov", "11月3日")."""
    from django.utils.formats import date_format
    from django.utils.translation import pgettext

    return date_format(day, pgettext("message date", "d M"))
