"""What the development error page (DEBUG on) and error e-mails may show.

Django hides settings whose *name* looks secret (PASSWORD, SECRET_KEY, ...), but the broker and
cache are configured by URLs (`redis://:password@host`), whose names do not, and the same URLs
are in the process environment that the page lists under META. This filter also hides the
password inside any URL with credentials, wherever it appears: a setting, a request variable or
a local variable of a traceback frame. The host and the rest of the URL stay, since they are
what one needs to see when a connection fails.
"""

from __future__ import annotations

import re
from pprint import pformat

from django.views.debug import SafeExceptionReporterFilter

# scheme://user:password@  (the user may be empty, as in redis://:password@host)
CREDENTIALS_IN_URL = re.compile(r"(?P<head>[a-z][a-z0-9+.\-]*://[^:@/\s'\"]*):[^@/\s'\"]+@", re.I)


def hide_url_credentials(text: str, substitute: str) -> str:
    """`text` with the password of every URL in it replaced by `substitute`."""
    return CREDENTIALS_IN_URL.sub(lambda m: f"{m['head']}:{substitute}@", text)


class _Shown:
    """A value shown on the error page by a cleaned copy of its representation."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


class CredentialsFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DSN|CREDENTIAL", flags=re.I
    )

    def cleanse_setting(self, key, value):
        cleansed = super().cleanse_setting(key, value)
        if isinstance(cleansed, str):
            # str(): some apps' settings are lazy strings (django-axes' messages).
            return hide_url_credentials(str(cleansed), self.cleansed_substitute)
        return cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        cleaned = []
        for name, value in super().get_traceback_frame_variables(request, tb_frame):
            if isinstance(value, str):
                value = hide_url_credentials(value, self.cleansed_substitute)
            else:
                try:
                    shown = pformat(value)
                except Exception:  # the page shows its own placeholder for such values
                    shown = None
                if shown is not None:
                    hidden = hide_url_credentials(shown, self.cleansed_substitute)
                    if hidden != shown:
                        value = _Shown(hidden)
            cleaned.append((name, value))
        return cleaned
