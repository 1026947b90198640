"""Limits on what a request may send, so that no input, however odd, ends in a server error.

- **Body size**: a body larger than the limit of its endpoint is answered 413 with a JSON
  message before any of it is read: decided from Content-Length, or, for a chunked body
  (no Content-Length), by reading at most the limit plus one byte. The limit is
  DATA_UPLOAD_MAX_MEMORY_SIZE, and for a view that takes files (the import upload) the setting
  its `body_limit_setting` names (IMPORT_MAX_BYTES) plus room for the form fields around it.
- **JSON nesting**: a JSON body nested deeper than JSON_MAX_DEPTH is a 400 (Python's parser
  would otherwise exhaust the stack on 100,000 brackets).
- **Dates**: every date a person or system gives the service lies between
  RECORDS_EARLIEST_DATE and today: nothing is recorded before it, and no page computes weeks
  back from year 1 (which overflows Python's dates).
"""

from __future__ import annotations

import datetime as dt
import tempfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.handlers.wsgi import LimitedStream
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Form fields and multipart boundaries around an uploaded file.
MULTIPART_ALLOWANCE = 64 * 1024
# A chunked body is copied to memory up to this size, then to a temporary file.
_SPOOL_IN_MEMORY = 1024 * 1024
_READ_CHUNK = 64 * 1024


# --- body size ------------------------------------------------------------------------------


def body_limit(view_func) -> tuple[int | None, str]:
    """The largest body `view_func` accepts, and the setting that says so."""
    view_class = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
    name = getattr(view_class, "body_limit_setting", None)
    if name:
        return getattr(settings, name) + MULTIPART_ALLOWANCE, name
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE, "DATA_UPLOAD_MAX_MEMORY_SIZE"


def _too_large(size_text: str, limit: int, setting: str) -> JsonResponse:
    return JsonResponse(
        {
            "detail": (
                f"The request body is {size_text}; the limit is {limit:,} bytes ({setting}), "
                "so nothing was read or written."
            )
        },
        status=413,
    )


class RequestBodyLimitMiddleware:
    """Refuse an oversized body with 413 before the view, or anything else, reads it.

    It acts in process_view, once the URL is resolved (so the limit can depend on the view) and
    before CsrfViewMiddleware, which reads a form body: it must stay above that middleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        limit, setting = body_limit(view_func)
        if limit is None:
            return None
        declared = request.META.get("CONTENT_LENGTH")
        if declared:
            try:
                length = int(declared)
            except ValueError:
                return JsonResponse(
                    {"detail": "The Content-Length header is not a number."}, status=400
                )
            if length > limit:
                return _too_large(f"{length:,} bytes", limit, setting)
            return None
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            return self._read_chunked(request, limit, setting)
        return None

    def _read_chunked(self, request, limit: int, setting: str):
        """A chunked body has no Content-Length, and Django would read none of it: read at most
        `limit` + 1 bytes of it here, and hand the view what was read."""
        source = request.environ["wsgi.input"]
        copy = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
        size = 0
        while size <= limit:
            chunk = source.read(min(_READ_CHUNK, limit + 1 - size))
            if not chunk:
                break
            copy.write(chunk)
            size += len(chunk)
        if size > limit:
            copy.close()
            return _too_large(f"more than {limit:,} bytes", limit, setting)
        copy.seek(0)
        request.META["CONTENT_LENGTH"] = str(size)
        # The stream Django reads the body from (HttpRequest.read); nothing has read it yet.
        # LimitedStream reads any file object; the stubs name only BytesIO.
        request._stream = LimitedStream(copy, size)  # type: ignore[arg-type]
        return None


# --- JSON nesting ---------------------------------------------------------------------------


def json_depth_ok(value, max_depth: int) -> bool:
    """Whether `value` (parsed JSON) nests no deeper than `max_depth` arrays and objects."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return True


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing (400) a body nested deeper than JSON_MAX_DEPTH."""

    def parse(self, stream, media_type=None, parser_context=None):
        max_depth = settings.JSON_MAX_DEPTH
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(f"JSON parse error - nested deeper than {max_depth} levels.") from exc
        if not json_depth_ok(data, max_depth):
            raise ParseError(f"JSON parse error - nested deeper than {max_depth} levels.")
        return data


# --- dates ----------------------------------------------------------------------------------


def earliest_date() -> dt.date:
    """RECORDS_EARLIEST_DATE: the earliest date the service records or shows."""
    return settings.RECORDS_EARLIEST_DATE


def validate_date_bounds(day: dt.date) -> None:
    """Refuse a date before RECORDS_EARLIEST_DATE, or after tomorrow (the date somewhere on
    earth may be a day ahead of the server's; the school's own "today" is checked where the
    school is known)."""
    if day < earliest_date():
        raise ValidationError(
            _(
                "%(day)s is before %(earliest)s, the earliest date this service records "
                "(RECORDS_EARLIEST_DATE)."
            ),
            code="date_too_early",
            params={"day": day.isoformat(), "earliest": earliest_date().isoformat()},
        )
    latest = timezone.localdate() + dt.timedelta(days=1)
    if day > latest:
        raise ValidationError(
            _("%(day)s is in the future; use a date up to today."),
            code="future_date",
            params={"day": day.isoformat()},
        )
