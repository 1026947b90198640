"""API shapes of the recorded data. They validate input and call services; no logic lives here.

Students are named by their code (what staff and the school's system know), within a school
named by its code. A user who works at one school may leave the school out.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from core.limits import validate_date_bounds
from core.screening import NOTE_MAX_LENGTH, screen_note
from core.serializer_fields import FieldsBuiltOnce

from . import services
from .models import (
    STUDENT_CODE_HELP,
    AttendanceRecord,
    AttendanceStatus,
    Observation,
    School,
    Session,
    Student,
    student_code_validator,
)
from .selectors import StudentResolver
from .signs import Sign

OBSERVATION_BATCH_MAX = 500
ATTENDANCE_BATCH_MAX = 5000


def _resolver(serializer: serializers.BaseSerializer[Any]) -> StudentResolver:
    resolver: StudentResolver = serializer.context["resolver"]
    return resolver


class StudentRowMixin(serializers.Serializer[Any]):
    """For a row that names a student by code (`student`) at a school named by its code
    (`school`, optional for a user of one school): validate() finds the student among the
    caller's schools and hands the row to validate_row(), which checks it against the rules
    of that school. A Django ValidationError from there becomes field errors (DRF)."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        school, attrs["student"] = _resolver(self).school_and_student(
            attrs.pop("school", None), attrs["student"]
        )
        self.validate_row(attrs, school)
        return attrs

    def validate_row(self, attrs: dict[str, Any], school: School) -> None:
        raise NotImplementedError


class SchoolSerializer(serializers.ModelSerializer):
    class Meta:
        model = School
        fields = ["id", "code", "name", "time_zone"]


class StudentSerializer(serializers.ModelSerializer):
    school: serializers.SlugRelatedField[School] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = Student
        fields = ["id", "school", "code", "year_group", "is_active", "left_on", "created_at"]
        read_only_fields = ["id", "school", "is_active", "left_on", "created_at"]


class StudentLeaveSerializer(serializers.Serializer):
    left_on = serializers.DateField(
        required=False,
        validators=[validate_date_bounds],
        help_text="The student's last day on roll (default today at the school).",
    )


class StudentWriteSerializer(serializers.Serializer):
    school = serializers.SlugField(required=False, help_text="School code; optional at one school.")
    code = serializers.CharField(
        max_length=17, validators=[student_code_validator], help_text=STUDENT_CODE_HELP
    )
    year_group = serializers.IntegerField(
        min_value=1, max_value=14, required=False, allow_null=True
    )

    def validate(self, attrs):
        attrs["school"] = _resolver(self).school(attrs.get("school"))
        if Student.objects.filter(school=attrs["school"], code=attrs["code"]).exists():
            raise serializers.ValidationError(
                {
                    "code": _("%(code)s is already a student at %(school)s.")
                    % {"code": attrs["code"], "school": attrs["school"].code}
                }
            )
        return attrs


class StudentUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Student
        fields = ["year_group"]
        extra_kwargs = {"year_group": {"min_value": 1, "max_value": 14}}


class SignsField(serializers.ListField):
    """An observation's sign codes, sorted: as written when it was just recorded (no read
    back), else its rows (prefetched by the list)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.CharField(), source="*", read_only=True, **kwargs)

    def to_representation(self, data: Any) -> list[str]:
        written = getattr(data, "written_signs", None)
        if written is not None:
            return sorted(written)
        return sorted(s.sign for s in data.signs.all())


class ObservationSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    # Fields built once a process (core/serializer_fields.py): none of them reads the context.
    school = serializers.CharField(source="student.school.code", read_only=True)
    student = serializers.CharField(source="student.code", read_only=True)
    signs = SignsField()
    recorded_by = serializers.CharField(source="recorded_by.email", read_only=True)

    class Meta:
        model = Observation
        fields = [
            "id",
            "client_id",
            "school",
            "student",
            "observed_on",
            "signs",
            "note",
            "recorded_by",
            "created_at",
            "withdrawn_at",
        ]
        read_only_fields = fields


class ObservationCreatedSerializer(ObservationSerializer):
    """The answer to a create: the observation, and whether it was already recorded."""

    # The create action sets `duplicate` on the instance: the model has no such column.
    duplicate = serializers.BooleanField(
        read_only=True, help_text="True when this client id was recorded before: no new row."
    )

    class Meta(ObservationSerializer.Meta):
        fields = [*ObservationSerializer.Meta.fields, "duplicate"]
        read_only_fields = fields


class ObservationWriteSerializer(FieldsBuiltOnce, StudentRowMixin):
    # Fields built once a process (core/serializer_fields.py): none of them reads the context;
    # validate() reads the resolver from the context of the request's own instance.
    client_id = serializers.UUIDField(
        required=False, help_text="Chosen by the client; a retry with the same id makes no copy."
    )
    school = serializers.SlugField(required=False, help_text="School code; optional at one school.")
    student = serializers.CharField(max_length=17, validators=[student_code_validator])
    observed_on = serializers.DateField()
    signs = serializers.ListField(
        child=serializers.ChoiceField(choices=Sign.choices), min_length=1, max_length=len(Sign)
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=NOTE_MAX_LENGTH,
        validators=[screen_note],
        trim_whitespace=True,
    )

    def validate_row(self, attrs: dict[str, Any], school: School) -> None:
        # The rules of an observation, as the service applies them (by field).
        services.observation_clean(
            school=school,
            observed_on=attrs["observed_on"],
            signs=attrs["signs"],
            note=attrs.get("note", ""),
        )


def observation_input(data: dict) -> services.ObservationInput:
    """The service input for one validated observation row."""
    return services.ObservationInput(
        student=data["student"],
        observed_on=data["observed_on"],
        signs=data["signs"],
        note=data.get("note", ""),
        client_id=data.get("client_id"),
    )


def _repeats(rows, key, field: str, what: str) -> None:
    """Refuse a batch in which two rows share `key(row)`, naming the later row, so a batch
    does not fail on the database's unique constraint with a 500."""
    seen: dict = {}
    errors: list[dict] = [{} for _row in rows]
    for i, row in enumerate(rows):
        k = key(row)
        if k is None:
            continue
        if k in seen:
            errors[i] = {
                field: [
                    _("Row %(row)s repeats row %(first)s: %(what)s.")
                    % {"row": i + 1, "first": seen[k] + 1, "what": what}
                ]
            }
        else:
            seen[k] = i
    if any(errors):
        raise serializers.ValidationError(errors)


class ObservationBatchSerializer(serializers.Serializer):
    observations: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=ObservationWriteSerializer(), allow_empty=False, max_length=OBSERVATION_BATCH_MAX
    )

    def validate_observations(self, rows):
        _repeats(rows, lambda row: row.get("client_id"), "client_id", _("the same client id"))
        return rows


class AttendanceSerializer(serializers.ModelSerializer):
    school = serializers.CharField(source="student.school.code", read_only=True)
    student = serializers.CharField(source="student.code", read_only=True)

    class Meta:
        model = AttendanceRecord
        fields = ["id", "school", "student", "date", "session", "status", "original_code", "source"]
        read_only_fields = fields


class AttendanceWriteSerializer(StudentRowMixin):
    school = serializers.SlugField(required=False, help_text="School code; optional at one school.")
    student = serializers.CharField(max_length=17, validators=[student_code_validator])
    date = serializers.DateField(validators=[validate_date_bounds])
    session = serializers.ChoiceField(choices=Session.choices)
    status = serializers.ChoiceField(choices=AttendanceStatus.choices)
    original_code = serializers.CharField(max_length=60, required=False, allow_blank=True)

    def validate_row(self, attrs: dict[str, Any], school: School) -> None:
        services.validate_not_future(attrs["date"], school, field="date")


class AttendanceBatchSerializer(serializers.Serializer):
    records: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=AttendanceWriteSerializer(), allow_empty=False, max_length=ATTENDANCE_BATCH_MAX
    )

    def validate_records(self, rows):
        _repeats(
            rows,
            lambda row: (row["student"].pk, row["date"], row["session"]),
            "non_field_errors",
            _("the same student, date and session"),
        )
        return rows


class UpsertResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


def batch_errors(errors) -> list[dict]:
    """Flatten DRF's nested batch errors into [{row, field, message}], rows counted from 1."""
    flat: list[dict] = []
    if isinstance(errors, dict):
        for i, row_errors in sorted(
            ((int(k), v) for k, v in errors.items() if str(k).isdigit()), key=lambda kv: kv[0]
        ):
            flat.extend(_row_errors(i + 1, row_errors))
        return flat
    for i, row_errors in enumerate(errors, start=1):
        flat.extend(_row_errors(i, row_errors))
    return flat


def _row_errors(row: int, row_errors) -> list[dict]:
    out = []
    if isinstance(row_errors, dict):
        for field, messages in row_errors.items():
            name = "row" if field == "non_field_errors" else field
            for message in error_messages(messages):
                out.append({"row": row, "field": name, "message": message})
    return out


def error_messages(messages) -> list[str]:
    """DRF's nested error details as plain strings."""
    if isinstance(messages, dict):
        return [f"{k}: {m}" for k, v in messages.items() for m in error_messages(v)]
    if isinstance(messages, list):
        return [m for item in messages for m in error_messages(item)]
    return [str(messages)]
