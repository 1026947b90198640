"""The rule lab's API: outcomes (counsellors and school admins read them, school admins
import them) and backtests of a rule (school admins).

Thin, like alerts/api.py: scope (another school's rule, run or outcome is a 404), validate,
call alerts.backtest or alerts.outcomes, answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from core.limits import validate_date_bounds
from core.openapi import ErrorSerializer, FieldErrorsSerializer
from schools import tenancy
from schools.importers.report import ImportRefused

from . import backtest, backtest_runs, services
from .models import BacktestRun, BacktestStatus, Outcome, OutcomeKind, WarningRule
from .serializers import RULE_FIELDS, RuleSerializer


def rule_with_changes(
    rule: WarningRule, changes: Mapping[str, Any], context: Mapping[str, Any]
) -> WarningRule:
    """An unsaved copy of `rule` with `changes` applied, validated like an edit; a field that
    is not a rule's editable field is refused (a misspelt name must not answer with the
    saved rule's figures). Without changes, `rule` itself."""
    if not isinstance(changes, dict):
        raise serializers.ValidationError({"changes": ["An object of rule fields."]})
    unknown = sorted(set(changes) - set(RULE_FIELDS))
    if unknown:
        raise serializers.ValidationError(
            {
                "changes": [
                    f"Unknown field(s): {', '.join(unknown)}. "
                    f"A rule's fields are: {', '.join(RULE_FIELDS)}."
                ]
            }
        )
    if not changes:
        return rule
    edited = RuleSerializer(rule, data=changes, partial=True, context=context)
    edited.is_valid(raise_exception=True)
    copy = WarningRule.objects.select_related("school").get(pk=rule.pk)
    for name, value in edited.validated_data.items():
        setattr(copy, name, value)
    return copy


# --- outcomes ---------------------------------------------------------------------------------


class OutcomeSerializer(serializers.ModelSerializer):
    student = serializers.CharField(source="student.code", read_only=True)
    school = serializers.CharField(source="student.school.code", read_only=True)

    class Meta:
        model = Outcome
        fields = ["id", "school", "student", "kind", "on_date", "source", "case", "created_at"]
        read_only_fields = fields


class OutcomeImportSerializer(serializers.Serializer):
    school = serializers.CharField(required=False, help_text="A school code (if several).")
    file = serializers.FileField(help_text="CSV: student_ref, outcome, date.")
    dry_run = serializers.BooleanField(default=False)


class OutcomeImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    read = serializers.IntegerField()
    created = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    by_outcome = serializers.DictField(child=serializers.IntegerField())


def _admin_school(request, code: str | None):
    schools = list(tenancy.schools_for(request.user, roles=tenancy.ADMIN_ROLES))
    if code:
        for school in schools:
            if school.code == code:
                return school
        raise serializers.ValidationError({"school": ["You are not a school admin there."]})
    if len(schools) != 1:
        if not schools:
            raise NotFound()
        raise serializers.ValidationError(
            {"school": ["You administer several schools: name one by its code."]}
        )
    return schools[0]


class OutcomeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Outcomes of the students of the caller's school(s) (counsellors and school admins);
    `import` takes a CSV of past outcomes (school admins)."""

    serializer_class = OutcomeSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        roles = tenancy.ADMIN_ROLES if self.action == "import_csv" else tenancy.CASEWORK_ROLES
        return tenancy.scope(
            Outcome.objects.select_related("student__school"), self.request.user, roles=roles
        ).order_by("-on_date", "-id")

    @extend_schema(
        request={"multipart/form-data": OutcomeImportSerializer},
        responses={
            200: OutcomeImportResultSerializer,
            400: OpenApiResponse(
                FieldErrorsSerializer,
                description="Refused whole: `detail` says why and `problems` lists the lines "
                "and reasons ({where, reason}); or a field is not valid.",
            ),
            404: OpenApiResponse(ErrorSerializer, description="Not a school admin anywhere."),
        },
    )
    @action(detail=False, methods=["post"], url_path="import", url_name="import")
    def import_csv(self, request):
        """Import past outcomes, all or nothing: a CSV with the columns student_ref (the
        reference of the school's information system, pseudonymised like attendance),
        outcome (one of the documented list) and date."""
        params = OutcomeImportSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        school = _admin_school(request, params.validated_data.get("school"))
        upload = params.validated_data["file"]
        if upload.size > 5 * 1024 * 1024:
            return Response({"detail": "An outcomes file is at most 5 MB."}, status=400)
        try:
            report = services.outcomes_import(
                school=school,
                data=upload.read(),
                by=request.user,
                dry_run=params.validated_data["dry_run"],
            )
        except ImportRefused as e:
            refused = e.as_dict()
            return Response({"detail": e.message, "problems": refused["problems"]}, status=400)
        return Response(OutcomeImportResultSerializer(report.as_dict()).data)


# --- backtests --------------------------------------------------------------------------------


class BacktestRequestSerializer(serializers.Serializer):
    start = serializers.DateField(validators=[validate_date_bounds])
    end = serializers.DateField(validators=[validate_date_bounds])
    min_lead_weeks = serializers.IntegerField(min_value=0, max_value=52, default=2)
    sweep = serializers.ChoiceField(
        choices=list(backtest.SWEEPS), required=False, allow_blank=True, default=""
    )
    values = serializers.ListField(
        child=serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0),
        required=False,
        max_length=backtest.MAX_SWEEP_POINTS,
    )
    changes = serializers.DictField(required=False, default=dict)
    compare_with = serializers.IntegerField(
        required=False, help_text="Another rule of the school, measured the same way."
    )


class BacktestRunSerializer(serializers.ModelSerializer):
    rule = serializers.IntegerField(source="rule_id", read_only=True)
    progress = serializers.FloatField(read_only=True)
    result = serializers.JSONField(read_only=True)

    class Meta:
        model = BacktestRun
        fields = [
            "id",
            "rule",
            "rule_version",
            "status",
            "progress",
            "params",
            "result",
            "error",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class BacktestAnswerSerializer(serializers.Serializer):
    runs = BacktestRunSerializer(many=True)


def backtest_answer(runs: list[BacktestRun]) -> Response:
    done = all(r.status in (BacktestStatus.DONE, BacktestStatus.FAILED) for r in runs)
    return Response(
        {"runs": BacktestRunSerializer(runs, many=True).data},
        status=status.HTTP_200_OK if done else status.HTTP_202_ACCEPTED,
    )


def backtest_rules(
    request, rule: WarningRule, data: Mapping[str, Any], context: Mapping[str, Any]
) -> list[BacktestRun]:
    """The run(s) one request asks for: the rule (with its unsaved changes) and, with
    `compare_with`, another rule of the same school measured the same way."""
    rules = [rule_with_changes(rule, data.get("changes") or {}, context)]
    if data.get("compare_with") is not None:
        other = (
            tenancy.scope(
                WarningRule.objects.select_related("school"),
                request.user,
                roles=tenancy.ADMIN_ROLES,
            )
            .filter(pk=data["compare_with"], school_id=rule.school_id)
            .first()
        )
        if other is None:
            raise NotFound(gettext("No such rule at this school."))
        rules.append(other)
    values = data.get("values")
    if values and data.get("sweep") != "attendance_threshold":
        values = [int(v) for v in values]
    runs = []
    for each in rules:
        runs.append(
            backtest_runs.backtest_request(
                rule=each,
                start=data["start"],
                end=data["end"],
                by=request.user,
                min_lead_weeks=data["min_lead_weeks"],
                sweep=data.get("sweep", "") if each is rules[0] else "",
                values=values if each is rules[0] else None,
            )
        )
    return runs


class BacktestViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A kept backtest of the caller's school (school admins): poll a queued one here."""

    serializer_class = BacktestRunSerializer

    def get_queryset(self):
        return tenancy.scope(
            BacktestRun.objects.all(), self.request.user, roles=tenancy.ADMIN_ROLES
        )


OUTCOME_KINDS = [k.value for k in OutcomeKind]
