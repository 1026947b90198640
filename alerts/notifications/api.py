"""The caller's own in-app notices: list (optionally unread only), mark one or all read.

A notice belongs to one user; it is listed only while that user is still casework staff at
the notice's school (tenancy.scope), so someone who left a school or became a teacher there
no longer reads about its cases. Another user's notice is a 404.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from schools import tenancy
from schools.permissions import signed_in_user

from .. import selectors, services
from ..models import Notice
from .delivery import case_link


class NoticeSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="notification.kind", read_only=True, default="")
    case_url = serializers.SerializerMethodField()
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notice
        fields = ["id", "text", "kind", "case", "case_url", "created_at", "read_at", "is_read"]
        read_only_fields = fields

    def get_case_url(self, obj: Notice) -> str:
        return case_link(obj.case_id)

    def get_is_read(self, obj: Notice) -> bool:
        return obj.read_at is not None


class NoticeFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", label="Only unread notices (true)."
    )

    class Meta:
        model = Notice
        fields = ["unread"]


MarkedSerializer = inline_serializer("NoticesMarked", {"marked": serializers.IntegerField()})


class ReadAllSerializer(serializers.Serializer):
    school = serializers.CharField(
        required=False, help_text="Only the notices of this school (its code)."
    )

    def validate_school(self, value: str) -> int:
        user = self.context["request"].user
        school = tenancy.schools_for(user, roles=tenancy.CASEWORK_ROLES).filter(code=value).first()
        if school is None:
            # The same answer for a school that exists elsewhere and one that does not.
            raise serializers.ValidationError(_("No such school among yours."))
        return school.pk


class NoticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's in-app notices, newest first. `?unread=true` lists the unread ones."""

    # For the schema generator; requests always go through get_queryset.
    queryset = Notice.objects.none()
    serializer_class = NoticeSerializer
    filterset_class = NoticeFilter
    # Every signed-in user has an inbox (empty for a teacher): no role check beyond the scope.
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return selectors.notices_of(signed_in_user(self.request)).select_related("notification")

    @extend_schema(request=None, responses=NoticeSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark one notice read (marking it again keeps the first time)."""
        notice = self.get_object()
        services.notices_mark_read(notices=Notice.objects.filter(pk=notice.pk))
        notice.refresh_from_db(fields=["read_at"])
        return Response(self.get_serializer(notice).data)

    @extend_schema(request=ReadAllSerializer, responses=MarkedSerializer)
    @action(detail=False, methods=["post"], url_path="read-all", url_name="read_all")
    def read_all(self, request):
        """Mark every unread notice of the caller read (optionally of one school only);
        answers how many were marked."""
        body = ReadAllSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        notices = self.get_queryset().filter(read_at__isnull=True)
        if "school" in body.validated_data:
            notices = notices.filter(case__student__school_id=body.validated_data["school"])
        marked = services.notices_mark_read(notices=notices)
        return Response({"marked": marked})
