"""External student reference -> pseudonymous student code, by a keyed HMAC.

The code is HMAC-SHA256(PSEUDONYM_KEY, school code + NUL + reference), rendered as "P-" and ten
base32 characters (50 bits), which fits Student.code's pattern. The school is part of the input
so one child known to two schools gets two unrelated codes; the key lives in the environment and
never in the database, so a database dump cannot be joined back to the source system. The raw
reference exists only in memory while a file is read: it is never stored, logged or put in a
message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from django.conf import settings
from django.utils.translation import gettext as _

from ..models import STUDENT_CODE_PATTERN
from .report import ImportRefused

CODE_PREFIX = "P-"
CODE_CHARS = 10  # 50 bits: a collision inside one school is negligible (birthday bound ~2^25)

_SEPARATOR = b"\x00"


class Pseudonymiser:
    """Turns references of one import into codes; caches per (school, reference) in memory."""

    def __init__(self, key: str | None = None, version: int | None = None):
        key = settings.PSEUDONYM_KEY if key is None else key
        if not key:
            raise ImportRefused(
                _(
                    "PSEUDONYM_KEY is not set: without it an external student reference cannot "
                    "be turned into a pseudonymous code, so nothing is imported."
                )
            )
        self._key = key.encode()
        self.version = settings.PSEUDONYM_KEY_VERSION if version is None else version
        self._cache: dict[tuple[str, str], str] = {}

    def code(self, school_code: str, reference: str) -> str:
        cache_key = (school_code, reference)
        code = self._cache.get(cache_key)
        if code is None:
            code = pseudonym_code(self._key, school_code, reference)
            self._cache[cache_key] = code
        return code


def pseudonym_code(key: bytes, school_code: str, reference: str) -> str:
    message = school_code.encode() + _SEPARATOR + reference.strip().encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    code = CODE_PREFIX + base64.b32encode(digest).decode()[:CODE_CHARS]
    assert re.match(STUDENT_CODE_PATTERN, code)
    return code
