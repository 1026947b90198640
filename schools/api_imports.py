"""The import API: upload a file (multipart), then poll its status and report.

School admins and integration accounts of a school may upload and read that school's imports;
another school's import is a 404. The work is done by a Celery task after the upload commits.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from . import tenancy
from .importers import FORMATS, ImportRefused
from .importers.jobs import import_job_create
from .models import ImportJob, Role, School
from .permissions import ScopedViewSetMixin

IMPORT_ROLES = frozenset({Role.SCHOOL_ADMIN, Role.INTEGRATION})


class _FormatField(serializers.ChoiceField):
    def to_representation(self, value):
        # Jobs uploaded before the format was found at upload time may have none recorded.
        return value or None


class ImportJobSerializer(serializers.ModelSerializer):
    school: serializers.SlugRelatedField[School] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    format = _FormatField(choices=ImportJob.Format.choices, read_only=True, allow_null=True)

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "school",
            "format",
            "status",
            "create_students",
            "dry_run",
            "size_bytes",
            "report",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    school = serializers.SlugField(
        required=False, help_text="School code; optional when you import for one school only."
    )
    format = serializers.ChoiceField(
        choices=FORMATS, required=False, help_text="Default: detected from the file."
    )
    create_students = serializers.BooleanField(default=False)
    dry_run = serializers.BooleanField(default=False)

    def validate(self, attrs):
        schools = tenancy.schools_for(self.context["request"].user, roles=IMPORT_ROLES)
        code = attrs.get("school")
        if code:
            school = schools.filter(code=code).first()
            if school is None:
                raise serializers.ValidationError(
                    {"school": _("Not a school where you may import records.")}
                )
        elif schools.count() == 1:
            school = schools.get()
        else:
            raise serializers.ValidationError({"school": _("Name the school (its code).")})
        attrs["school"] = school
        return attrs


class ImportJobViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Imports of attendance (CSV, Ed-Fi), Ed-Fi incidents and calendars; see docs/IMPORTS.md."""

    base_queryset = ImportJob.objects.select_related("school")
    read_roles = IMPORT_ROLES
    write_roles = IMPORT_ROLES
    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser, FormParser]
    # core.limits: the upload's body may be as large as IMPORT_MAX_BYTES (plus its form fields).
    body_limit_setting = "IMPORT_MAX_BYTES"
    filterset_fields = ["status"]

    def get_serializer_class(self):
        return ImportUploadSerializer if self.action == "create" else ImportJobSerializer

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={
            202: ImportJobSerializer,
            413: OpenApiResponse(description="The file is larger than IMPORT_MAX_BYTES."),
        },
    )
    def create(self, request, *args, **kwargs):
        """Upload a file; it is imported by a worker. Poll the returned job for its report."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            job = import_job_create(
                school=data["school"],
                uploaded_by=request.user,
                upload=data["file"],
                fmt=data.get("format", ""),
                create_students=data["create_students"],
                dry_run=data["dry_run"],
            )
        except ImportRefused as e:
            return Response({"detail": e.message}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
