"""API shapes of rules and cases. They validate input; alerts.services does the work.

A case is shown by the student's pseudonymous code and year group, never more.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from core.limits import validate_date_bounds
from core.models import User
from core.screening import NOTE_MAX_LENGTH
from schools import tenancy
from schools.models import AttendanceRecord, Observation, School
from schools.signs import Sign

from .models import (
    ActionType,
    Case,
    CaseEvent,
    CaseRule,
    CaseStatus,
    OutcomeKind,
    WarningRule,
)
from .services import RULE_EDITABLE_FIELDS


class CaseListSerializer(serializers.ModelSerializer):
    school = serializers.CharField(source="student.school.code", read_only=True)
    student = serializers.CharField(source="student.code", read_only=True)
    year_group = serializers.IntegerField(source="student.year_group", read_only=True)
    rules = serializers.SerializerMethodField()
    resolution_suggested = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "school",
            "student",
            "year_group",
            "status",
            "stage",
            "severity",
            "rules",
            "context_signs",
            "persisted_since",
            "first_evidence_on",
            "last_evidence_on",
            "last_fired_on",
            "clean_weeks",
            "resolution_suggested",
            "opened_at",
            "acknowledged_at",
            "resolved_at",
        ]

    def get_rules(self, obj: Case) -> list[str]:
        return sorted({r.rule_name for r in obj.fired_rules.all()})

    def get_resolution_suggested(self, obj: Case) -> bool:
        return obj.resolution_suggested_at is not None


class CaseRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseRule
        fields = ["rule", "rule_name", "rule_version", "first_fired_on", "last_fired_on"]


class CaseEventSerializer(serializers.ModelSerializer):
    # Null for what the system did (opened, escalated) and once the account is deleted.
    author: serializers.StringRelatedField[User] = serializers.StringRelatedField(
        read_only=True, allow_null=True
    )

    class Meta:
        model = CaseEvent
        fields = [
            "id",
            "at",
            "kind",
            "author",
            "text",
            "action_type",
            "from_status",
            "to_status",
            "detail",
        ]


class EvidenceObservationSerializer(serializers.ModelSerializer):
    signs = serializers.SerializerMethodField()
    recorded_by: serializers.StringRelatedField[User] = serializers.StringRelatedField(
        read_only=True
    )

    class Meta:
        model = Observation
        fields = ["id", "observed_on", "signs", "recorded_by", "note", "withdrawn_at"]

    def get_signs(self, obj: Observation) -> list[str]:
        return [s.sign for s in obj.signs.all()]


class EvidenceAttendanceSerializer(serializers.ModelSerializer):
    class Meta:
        model = AttendanceRecord
        fields = ["id", "date", "session", "status", "original_code"]


class CaseDetailSerializer(CaseListSerializer):
    fired_rules = CaseRuleSerializer(many=True, read_only=True)
    events = CaseEventSerializer(many=True, read_only=True)
    evidence_observations = serializers.SerializerMethodField()
    evidence_attendance = serializers.SerializerMethodField()
    # Null until the case is acknowledged / resolved (and once the account is deleted).
    acknowledged_by: serializers.StringRelatedField[User] = serializers.StringRelatedField(
        read_only=True, allow_null=True
    )
    resolved_by: serializers.StringRelatedField[User] = serializers.StringRelatedField(
        read_only=True, allow_null=True
    )

    class Meta(CaseListSerializer.Meta):
        fields = [
            *CaseListSerializer.Meta.fields,
            "acknowledged_by",
            "resolved_by",
            "resolution_reason",
            "opened_count",
            "evidence",
            "fired_rules",
            "events",
            "evidence_observations",
            "evidence_attendance",
        ]

    def get_evidence_observations(self, obj: Case) -> list[dict]:
        rows = (
            Observation.objects.filter(case_evidence__case=obj)
            .select_related("recorded_by")
            .prefetch_related("signs")
            .order_by("observed_on", "id")
        )
        # many=True makes a ListSerializer, whose data is a list; the stubs cannot tell.
        return EvidenceObservationSerializer(rows, many=True).data  # type: ignore[return-value]

    def get_evidence_attendance(self, obj: Case) -> list[dict]:
        rows = AttendanceRecord.objects.filter(case_evidence__case=obj).order_by("date", "session")
        # many=True makes a ListSerializer, whose data is a list; the stubs cannot tell.
        return EvidenceAttendanceSerializer(rows, many=True).data  # type: ignore[return-value]


class CaseStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    text = serializers.CharField(max_length=NOTE_MAX_LENGTH, required=False, allow_blank=True)
    outcome = serializers.ChoiceField(
        choices=OutcomeKind.choices,
        required=False,
        help_text="Resolving: what the outcome was (required then).",
    )

    def validate(self, attrs):
        if attrs["status"] == CaseStatus.RESOLVED and not attrs.get("outcome"):
            raise serializers.ValidationError({"outcome": "Say what the outcome was."})
        return attrs


class CaseNoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=NOTE_MAX_LENGTH)


class CaseActionSerializer(serializers.Serializer):
    action_type = serializers.ChoiceField(choices=ActionType.choices)
    text = serializers.CharField(max_length=NOTE_MAX_LENGTH, required=False, allow_blank=True)


class CaseResolveSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=NOTE_MAX_LENGTH)
    outcome = serializers.ChoiceField(
        choices=OutcomeKind.choices, help_text="What turned out to be true of the student."
    )


# The fields a school admin edits: the ones whose change makes a new version of the rule.
RULE_FIELDS = list(RULE_EDITABLE_FIELDS)


class RuleSerializer(serializers.ModelSerializer):
    """A rule as a school admin edits it. `school` (a code) is needed only to create a rule
    for one of several schools; `version` is read-only and rises on each edit."""

    school = serializers.SlugRelatedField(
        slug_field="code", queryset=School.objects.all(), required=False
    )
    signs = serializers.ListField(
        child=serializers.ChoiceField(choices=Sign.choices), required=False, allow_empty=True
    )

    class Meta:
        model = WarningRule
        fields = ["id", "school", "key", "version", "created_at", "updated_at", *RULE_FIELDS]
        # The description is generated from the settings (alerts.rule_text).
        read_only_fields = ["id", "key", "version", "created_at", "updated_at", "description"]
        # The model's own full_clean (in validate) checks the unique constraints, once the
        # school is known; DRF's generated validator would demand `school` on every call.
        validators: list = []

    def _admin_schools(self) -> dict[str, School]:
        user = self.context["request"].user
        return {s.code: s for s in tenancy.schools_for(user, roles=tenancy.ADMIN_ROLES)}

    def validate_school(self, school):
        if school.code not in self._admin_schools():
            raise serializers.ValidationError(_("You are not a school admin there."))
        return school

    def validate(self, attrs):
        if self.instance is None:
            if "school" not in attrs:
                schools = list(self._admin_schools().values())
                if len(schools) != 1:
                    raise serializers.ValidationError(
                        {"school": _("You administer several schools: name one by its code.")}
                    )
                attrs["school"] = schools[0]
            rule = WarningRule(**attrs)
        else:
            if "school" in attrs and attrs["school"].pk != self.instance.school_id:
                raise serializers.ValidationError({"school": _("A rule cannot move school.")})
            rule = WarningRule.objects.get(pk=self.instance.pk)
            for name, value in attrs.items():
                setattr(rule, name, value)
        # A Django ValidationError here is turned into field errors by DRF itself.
        rule.full_clean(exclude=["updated_by"])
        return attrs


class RulePreviewRequestSerializer(serializers.Serializer):
    # Not after today at the rule's school: checked by the view, which knows the school.
    on_date = serializers.DateField(required=False, validators=[validate_date_bounds])
    history_school_days = serializers.IntegerField(
        required=False, min_value=5, max_value=400, default=190
    )
    # Any edited fields to try without saving: the preview of the rule as it would be.
    changes = serializers.DictField(required=False, default=dict)


class PreviewStudentSerializer(serializers.Serializer):
    student = serializers.CharField(source="code")
    flagged_on_date = serializers.BooleanField()
    first_fired_on = serializers.DateField()
    episodes = serializers.ListField(child=serializers.DateField())
    school_days_fired = serializers.IntegerField()


class DaysReadSerializer(serializers.Serializer):
    first_day = serializers.DateField(allow_null=True)
    last_day = serializers.DateField()
    school_days = serializers.IntegerField()
    requested_school_days = serializers.IntegerField()
    complete = serializers.BooleanField()
    note = serializers.CharField(allow_blank=True)


class RulePreviewSerializer(serializers.Serializer):
    on_date = serializers.DateField()
    first_day = serializers.DateField(allow_null=True)
    school_days = serializers.IntegerField()
    flagged_on_date = serializers.IntegerField(source="flagged_count")
    students = PreviewStudentSerializer(many=True)
    # The rule as previewed (the saved rule with the changes tried), and which span of
    # school days was read.
    rule = serializers.DictField(read_only=True)
    days_read = DaysReadSerializer(read_only=True)
