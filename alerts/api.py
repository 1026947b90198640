"""The REST API for cases (counsellors and school admins) and rules (school admins).

Thin: scope (schools.permissions.ScopedViewSetMixin: another school's case or rule is a 404,
and so is any case for a teacher), validate, call a service, answer.
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from schools import tenancy
from schools.permissions import (
    AuditedReadsMixin,
    SchoolRolePermission,
    ScopedViewSetMixin,
    signed_in_user,
)

from . import api_lab, services
from .models import Case, CaseEvent, CaseRule, CaseStatus, Severity, Stage, WarningRule
from .serializers import (
    CaseActionSerializer,
    CaseDetailSerializer,
    CaseEventSerializer,
    CaseListSerializer,
    CaseNoteSerializer,
    CaseResolveSerializer,
    CaseStatusSerializer,
    RulePreviewRequestSerializer,
    RulePreviewSerializer,
    RuleSerializer,
)


class CaseFilter(django_filters.FilterSet):
    school = django_filters.CharFilter(field_name="student__school__code")
    student = django_filters.CharFilter(field_name="student__code")
    status = django_filters.MultipleChoiceFilter(choices=CaseStatus.choices)
    stage = django_filters.MultipleChoiceFilter(choices=Stage.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    open = django_filters.BooleanFilter(method="filter_open")

    class Meta:
        model = Case
        fields = ["school", "student", "status", "stage", "severity", "open"]

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        if value:
            return queryset.exclude(status=CaseStatus.RESOLVED)
        return queryset.filter(status=CaseStatus.RESOLVED)


class CaseworkPermission(SchoolRolePermission):
    """Cases do not exist for anyone without a casework role: a teacher asking for the list,
    a case, or an action on one gets 404, like a case of another school."""

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if not tenancy.school_ids(request.user, view.read_roles):
            raise NotFound()
        return True


class CaseViewSet(
    AuditedReadsMixin,
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Cases of the caller's school(s), for counsellors and school admins; a teacher (or
    anyone else) gets 404. Every read is in the audit trail: a list one row per case shown,
    a case one row (through case_record_read)."""

    audit_name = "case"

    base_queryset = Case.objects.select_related(
        "student__school", "acknowledged_by", "resolved_by"
    ).prefetch_related(
        Prefetch("fired_rules", queryset=CaseRule.objects.order_by("first_fired_on")),
        Prefetch("events", queryset=CaseEvent.objects.select_related("author")),
    )
    read_roles = tenancy.CASEWORK_ROLES
    write_roles = tenancy.CASEWORK_ROLES
    permission_classes = [IsAuthenticated, CaseworkPermission]
    filterset_class = CaseFilter

    def get_serializer_class(self):
        return CaseListSerializer if self.action == "list" else CaseDetailSerializer

    def retrieve(self, request, *args, **kwargs):
        case = self.get_object()
        services.case_record_read(case=case, by=request.user)
        return Response(CaseDetailSerializer(case).data)

    def _act(self, request, serializer_class, call):
        case = self.get_object()
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        # A refused step (400) or a lost race (409) is answered by core.exceptions.
        result = call(case, serializer.validated_data)
        if isinstance(result, CaseEvent):
            return Response(CaseEventSerializer(result).data, status=status.HTTP_201_CREATED)
        return Response(CaseDetailSerializer(self.get_object()).data)

    @extend_schema(
        request=CaseStatusSerializer,
        responses={
            200: CaseDetailSerializer,
            400: OpenApiResponse(description="Not a valid step from the current status."),
            409: OpenApiResponse(description="Someone changed the case meanwhile."),
        },
    )
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        """Move the case to another status: new -> acknowledged -> in progress -> monitoring
        -> resolved (resolving needs a reason in `text`)."""

        def call(case, data):
            if data["status"] == CaseStatus.RESOLVED:
                return services.case_resolve(
                    case=case, by=request.user, reason=data.get("text"), outcome=data["outcome"]
                )
            return services.case_set_status(
                case=case, to_status=data["status"], by=request.user, text=data.get("text", "")
            )

        return self._act(request, CaseStatusSerializer, call)

    @extend_schema(request=None, responses={200: CaseDetailSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Acknowledge a new case (acknowledging again changes nothing)."""
        return self._act(
            request,
            serializers.Serializer,
            lambda case, data: services.case_acknowledge(case=case, by=request.user),
        )

    @extend_schema(request=CaseResolveSerializer, responses={200: CaseDetailSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Resolve the case with a short reason and the outcome (one of the documented list,
        recorded for the student, dated today); only newer evidence reopens it."""
        return self._act(
            request,
            CaseResolveSerializer,
            lambda case, data: services.case_resolve(
                case=case, by=request.user, reason=data["reason"], outcome=data["outcome"]
            ),
        )

    @extend_schema(request=CaseNoteSerializer, responses={201: CaseEventSerializer})
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        """Add a short, screened note to the case timeline."""
        return self._act(
            request,
            CaseNoteSerializer,
            lambda case, data: services.case_add_note(
                case=case, by=request.user, text=data["text"]
            ),
        )

    @extend_schema(request=CaseActionSerializer, responses={201: CaseEventSerializer})
    @action(detail=True, methods=["post"])
    def actions(self, request, pk=None):
        """Record an action taken: talk with the family, a referral to a mental-health
        professional, a gradual reintegration plan, a CBT or family-therapy referral, other."""
        return self._act(
            request,
            CaseActionSerializer,
            lambda case, data: services.case_record_action(
                case=case,
                by=request.user,
                action_type=data["action_type"],
                text=data.get("text", ""),
            ),
        )


class RuleFilter(django_filters.FilterSet):
    school = django_filters.CharFilter(field_name="school__code")

    class Meta:
        model = WarningRule
        fields = ["school", "enabled", "kind"]


class RuleViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Warning-sign rules, for school admins. Every edit raises the rule's version. Rules are
    disabled, not deleted: cases keep pointing at the version they fired on."""

    base_queryset = WarningRule.objects.select_related("school")
    serializer_class = RuleSerializer
    read_roles = tenancy.ADMIN_ROLES
    write_roles = tenancy.ADMIN_ROLES
    filterset_class = RuleFilter

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        school = data.pop("school")
        serializer.instance = services.rule_create(
            school=school, by=signed_in_user(self.request), **data
        )

    def perform_update(self, serializer):
        rule = serializer.instance
        data = dict(serializer.validated_data)
        data.pop("school", None)
        for name, value in data.items():
            setattr(rule, name, value)
        serializer.instance = services.rule_update(
            rule=rule, by=signed_in_user(self.request), fields=list(data)
        )

    def _set_enabled(self, request, enabled: bool) -> Response:
        rule = self.get_object()
        rule.enabled = enabled
        rule = services.rule_update(rule=rule, by=request.user, fields=["enabled"])
        return Response(RuleSerializer(rule, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={200: RuleSerializer})
    @action(detail=True, methods=["post"])
    def enable(self, request, pk=None):
        """Turn the rule on (a new version)."""
        return self._set_enabled(request, True)

    @extend_schema(request=None, responses={200: RuleSerializer})
    @action(detail=True, methods=["post"])
    def disable(self, request, pk=None):
        """Turn the rule off (a new version); open cases stay open."""
        return self._set_enabled(request, False)

    @extend_schema(request=RulePreviewRequestSerializer, responses={200: RulePreviewSerializer})
    @action(detail=True, methods=["post"])
    def preview(self, request, pk=None):
        """Who the rule would flag on `on_date` (default today, never later), and on which
        past school dates each would first have fired. `changes` tries edited fields without
        saving (an unknown field is refused); the answer echoes the rule as previewed and
        says which span of school days was read."""
        rule = self.get_object()
        params = RulePreviewRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        rule = api_lab.rule_with_changes(
            rule, params.validated_data["changes"], self.get_serializer_context()
        )
        result = services.rule_preview(
            rule=rule,
            on_date=params.validated_data.get("on_date"),
            history_school_days=params.validated_data["history_school_days"],
        )
        services.rule_preview_record_read(rule=rule, preview=result, by=request.user)
        return Response(RulePreviewSerializer(result).data)

    @extend_schema(
        request=api_lab.BacktestRequestSerializer,
        responses={
            200: api_lab.BacktestAnswerSerializer,
            202: OpenApiResponse(
                api_lab.BacktestAnswerSerializer,
                description="Queued for the worker: poll /api/backtests/{id}/.",
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def backtest(self, request, pk=None):
        """How the rule (with `changes` tried, unsaved) would have done over a past period,
        against the students' outcomes: flagged, true and false positives, missed,
        precision, recall, median lead in school weeks, and the students behind each number.
        `sweep` (with optional `values`) measures the rule at each value of one parameter;
        `compare_with` measures another rule of the school the same way. Kept per rule
        version: asking again answers at once; a large school's run is queued (202)."""
        rule = self.get_object()
        params = api_lab.BacktestRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        runs = api_lab.backtest_rules(
            request, rule, params.validated_data, self.get_serializer_context()
        )
        return api_lab.backtest_answer(runs)
