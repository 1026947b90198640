"""The REST API for the recorded data. Thin: scope, validate, call a service, answer."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.openapi import ErrorSerializer

from . import selectors, services, tenancy
from .models import AttendanceRecord, Observation, Role, School, Student
from .permissions import AuditedReadsMixin, ScopedViewSetMixin
from .selectors import StudentResolver
from .serializers import (
    AttendanceBatchSerializer,
    AttendanceSerializer,
    ObservationBatchSerializer,
    ObservationCreatedSerializer,
    ObservationSerializer,
    ObservationWriteSerializer,
    SchoolSerializer,
    StudentLeaveSerializer,
    StudentSerializer,
    StudentUpdateSerializer,
    StudentWriteSerializer,
    UpsertResultSerializer,
    batch_errors,
    error_messages,
    observation_input,
)
from .signs import Sign

# A refused batch: {"detail", "errors": [{row, field, message}]}, the shared error shape.
BatchErrorResponse = ErrorSerializer


def _refuse_batch(errors: dict, rows_key: str) -> Response:
    """400 naming each bad row (counted from 1) and why; errors about the batch as a whole
    (missing, empty, too long, not a list) are reported as row 0."""
    row_errors = errors.get(rows_key)
    flat = batch_errors(row_errors) if isinstance(row_errors, list | dict) else []
    rows = sorted({e["row"] for e in flat})
    if not flat:
        flat = [
            {"row": 0, "field": "batch" if field == "non_field_errors" else field, "message": m}
            for field, messages in errors.items()
            for m in error_messages(messages)
        ]
    detail = (
        f"Nothing was written: {len(rows)} row(s) have a problem ({', '.join(map(str, rows))})."
        if rows
        else "Nothing was written: the batch is not valid."
    )
    return Response({"detail": detail, "errors": flat}, status=status.HTTP_400_BAD_REQUEST)


def _rows(data, key: str) -> list:
    """The rows of a batch body, for preloading; the serializer reports a body of the wrong
    shape."""
    rows = data.get(key) if isinstance(data, dict) else None
    return rows if isinstance(rows, list) else []


class DateRangeFilterSet(django_filters.FilterSet):
    school = django_filters.CharFilter(field_name="student__school__code")
    student = django_filters.CharFilter(field_name="student__code")


class SchoolViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The schools the caller belongs to."""

    serializer_class = SchoolSerializer
    base_queryset = School.objects.all()


class StudentFilter(django_filters.FilterSet):
    school = django_filters.CharFilter(field_name="school__code")

    class Meta:
        model = Student
        fields = ["code", "year_group", "is_active"]


class StudentViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Students by pseudonymous code. Staff read; school admins and integrations write."""

    base_queryset = Student.objects.select_related("school")
    write_roles = frozenset({Role.SCHOOL_ADMIN, Role.INTEGRATION})
    filterset_class = StudentFilter

    def get_serializer_context(self) -> dict[str, Any]:
        resolver = StudentResolver(self.request.user, self.write_roles)
        return {**super().get_serializer_context(), "resolver": resolver}

    def get_serializer_class(self):
        if self.action == "create":
            return StudentWriteSerializer
        if self.action in ("update", "partial_update"):
            return StudentUpdateSerializer
        return StudentSerializer

    @extend_schema(responses={201: StudentSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        student = services.student_create(**serializer.validated_data)
        return Response(StudentSerializer(student).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: StudentSerializer})
    def update(self, request, *args, **kwargs):
        super().update(request, *args, **kwargs)
        return Response(StudentSerializer(self.get_object()).data)

    @extend_schema(request=StudentLeaveSerializer, responses={200: StudentSerializer})
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        """Mark the student as no longer at the school from `left_on` on (their last day on
        roll, default today); their records are kept and count for the days before."""
        params = StudentLeaveSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        student = services.student_deactivate(
            student=self.get_object(), left_on=params.validated_data.get("left_on"), by=request.user
        )
        return Response(StudentSerializer(student).data)


class ObservationFilter(DateRangeFilterSet):
    date_from = django_filters.DateFilter(field_name="observed_on", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="observed_on", lookup_expr="lte")
    sign = django_filters.ChoiceFilter(
        choices=Sign.choices, field_name="signs__sign", distinct=True
    )

    class Meta:
        model = Observation
        fields = ["school", "student", "date_from", "date_to", "sign"]


class ObservationViewSet(
    AuditedReadsMixin,
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Observations. Teachers see their own; counsellors and school admins see the school's.
    Every read (list or one) is in the audit trail: observations carry notes."""

    audit_name = "observation"

    read_roles = tenancy.STAFF_ROLES
    write_roles = tenancy.STAFF_ROLES
    filterset_class = ObservationFilter

    def get_queryset(self):
        return selectors.observations_visible_to(self.request.user)

    def get_serializer_class(self):
        if self.action == "create":
            return ObservationWriteSerializer
        if self.action == "batch":
            return ObservationBatchSerializer
        return ObservationSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        resolver = StudentResolver(self.request.user, self.write_roles)
        return {**super().get_serializer_context(), "resolver": resolver}

    @extend_schema(
        responses={
            201: ObservationCreatedSerializer,
            200: OpenApiResponse(ObservationCreatedSerializer, description="Already recorded."),
            409: OpenApiResponse(description="The client id is used by another observation."),
        }
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = observation_input(serializer.validated_data)
        # A client id of somebody else's observation is a 409 (core.exceptions).
        observation, created = services.observation_create(
            recorded_by=request.user,
            student=item.student,
            observed_on=item.observed_on,
            signs=item.signs,
            note=item.note,
            client_id=item.client_id,
        )
        observation.duplicate = not created  # type: ignore[attr-defined]  # for the answer
        return Response(
            ObservationCreatedSerializer(observation).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        responses={
            201: inline_serializer(
                "ObservationBatchResult",
                {"created": serializers.IntegerField(), "duplicates": serializers.IntegerField()},
            ),
            400: BatchErrorResponse,
        }
    )
    @action(detail=False, methods=["post"])
    def batch(self, request):
        """Record up to 500 observations at once: all of them, or none and the reasons."""
        context = self.get_serializer_context()
        context["resolver"].preload(_rows(request.data, "observations"))
        serializer = ObservationBatchSerializer(data=request.data, context=context)
        if not serializer.is_valid():
            return _refuse_batch(serializer.errors, "observations")
        items = [observation_input(row) for row in serializer.validated_data["observations"]]
        observations, created = services.observations_create_batch(
            items=items, recorded_by=request.user
        )
        return Response(
            {"created": created, "duplicates": len(observations) - created},
            status=status.HTTP_201_CREATED,
        )


class AttendanceFilter(DateRangeFilterSet):
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = AttendanceRecord
        fields = ["school", "student", "date_from", "date_to", "session", "status"]


class AttendanceViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Register marks. Staff read their school's; teachers, admins and integrations write."""

    base_queryset = AttendanceRecord.objects.select_related("student__school")
    read_roles = tenancy.STAFF_ROLES
    write_roles = frozenset({Role.TEACHER, Role.SCHOOL_ADMIN, Role.INTEGRATION})
    serializer_class = AttendanceSerializer
    filterset_class = AttendanceFilter

    @extend_schema(
        request=AttendanceBatchSerializer,
        responses={200: UpsertResultSerializer, 400: BatchErrorResponse},
    )
    @action(detail=False, methods=["post"])
    def batch(self, request):
        """Insert or update up to 5,000 marks: all of them, or none and the reasons."""
        resolver = StudentResolver(request.user, self.write_roles)
        resolver.preload(_rows(request.data, "records"))
        serializer = AttendanceBatchSerializer(data=request.data, context={"resolver": resolver})
        if not serializer.is_valid():
            return _refuse_batch(serializer.errors, "records")
        items = [
            services.AttendanceInput(
                student=row["student"],
                date=row["date"],
                session=row["session"],
                status=row["status"],
                original_code=row.get("original_code", ""),
            )
            for row in serializer.validated_data["records"]
        ]
        result = services.attendance_upsert(items=items, recorded_by=request.user)
        return Response(UpsertResultSerializer(result).data)
