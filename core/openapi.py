"""The OpenAPI document describes every answer an operation can give, errors included.

Error answers have two shapes:

- `Error`: `{"detail": "…"}`, and for a refused batch also `"errors": [{"row", "field",
  "message"}]` (rows counted from 1). Answers 403 (not allowed), 404 (not found, or another
  school's), 409 (a conflict), 413 (body too large), 415 (a body of a type the operation does
  not read), and a batch's 400 (a body that is not JSON at all has `detail` only).
- `FieldErrors`: a refused object, DRF's way: each field (or `non_field_errors`) with its
  messages; `detail` alone when the body could not be read at all.

AutoSchema adds these to each operation where they can happen, so an operation's own
`extend_schema` only names what is particular to it.
"""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="The row of the batch, from 1; 0 for the batch.")
    field = serializers.CharField()
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    # A declared field: DRF's metaclass takes it out of the class, so it does not replace the
    # serializer's own `errors` property; the stubs cannot know that.
    errors = RowErrorSerializer(  # type: ignore[assignment]
        many=True, required=False, help_text="A refused batch: every problem, by row."
    )

    class Meta:
        ref_name = "Error"


class FieldErrorsSerializer(serializers.Serializer):
    """Documented by FieldErrorsExtension (a map of field names, which no serializer has)."""

    class Meta:
        ref_name = "FieldErrors"


class FieldErrorsExtension(OpenApiSerializerExtension):
    target_class = FieldErrorsSerializer

    def map_serializer(self, auto_schema, direction):
        return {
            "type": "object",
            "description": (
                "Each refused field (or non_field_errors) with its messages; `detail` alone "
                "when the body could not be read."
            ),
            "properties": {"detail": {"type": "string"}},
            "additionalProperties": {"oneOf": [{"type": "array"}, {"type": "object"}]},
        }


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})

ERRORS = {
    "400": OpenApiResponse(FieldErrorsSerializer, description="The request is not valid."),
    "403": OpenApiResponse(
        ErrorSerializer, description="Not signed in, or the role may not do this."
    ),
    "404": OpenApiResponse(
        ErrorSerializer, description="No such object among the caller's schools (or page)."
    ),
    "413": OpenApiResponse(
        ErrorSerializer,
        description="The body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE (IMPORT_MAX_BYTES for "
        "an import); nothing was read.",
    ),
    "415": OpenApiResponse(
        ErrorSerializer, description="The body's Content-Type is not one the operation reads."
    ),
}


class AutoSchema(openapi.AutoSchema):
    def _error_codes(self) -> list[str]:
        codes = []
        if "{" in self.path or self._is_list_view():
            codes.append("404")  # another school's object; a page past the last
        if self.method in WRITE_METHODS:
            codes += ["400", "413", "415"]
        elif self._is_list_view():
            codes.append("400")  # a filter value that is not valid
        open_to_all = any(
            issubclass(p, permissions.AllowAny)
            for p in getattr(self.view, "permission_classes", ())
        )
        if not open_to_all:
            codes.append("403")
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    ERRORS[code], code, direction=direction
                )
        return responses


class ApiTokenScheme(KnoxTokenScheme):
    """The API token (core.authentication, knox's minus its sweep) documented as knox's is."""

    target_class = "core.authentication.TokenAuthentication"
    match_subclasses = True  # schools.authentication's, the one the API uses
