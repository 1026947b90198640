"""The API's one exception handler: services raise Django's ValidationError (and Conflict),
and this maps them to the documented error shapes (core/openapi.py), so no view or viewset
needs its own try/except.

- A ValidationError that names fields: 400 with each field (`non_field_errors` for the
  object as a whole) and its messages, DRF's own shape (`FieldErrors`).
- Any other ValidationError: 400 `{"detail": "..."}` (`Error`).
- A Conflict (the object changed meanwhile, or an id belongs to someone else): 409
  `{"detail": "..."}`.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(Exception):
    """A write refused because of another one: the case moved meanwhile, or a client id is
    somebody else's. The API answers 409; a page reloads and asks again."""


class ConflictError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object changed meanwhile; reload it and try again."
    default_code = "conflict"


def _messages(exc: Exception) -> list[str]:
    if isinstance(exc, DjangoValidationError):
        return list(exc.messages)
    return [str(exc)]


def api_error(exc: Exception) -> exceptions.APIException | None:
    """The DRF exception that answers for a service's `exc`; None for any other."""
    if isinstance(exc, Conflict):
        return ConflictError(" ".join(_messages(exc)))
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(
                {
                    (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): (
                        messages
                    )
                    for field, messages in exc.message_dict.items()
                }
            )
        return exceptions.ValidationError({"detail": " ".join(exc.messages)})
    return None


def exception_handler(exc: Exception, context: dict):
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: DRF's handler, after mapping a service's error."""
    return drf_exception_handler(api_error(exc) or exc, context)
