"""API of the risk register."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from clients.models import STAFF_ROLES, User
from core.api import ScopedModelViewSet, VersionedUpdateMixin
from projects.record_api import (
    CanWriteProjects,
    ProjectRecordFilter,
    ProjectRecordSerializer,
    user_name,
)
from projects.risks import services
from projects.risks.models import Risk


class RiskFilter(ProjectRecordFilter):
    class Meta:
        model = Risk
        fields = ["project", "client", "status", "visibility"]


class RiskSerializer(ProjectRecordSerializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role__in=STAFF_ROLES, is_active=True),
        required=False,
        allow_null=True,
        help_text=_("The CMO staff member who owns the risk."),
    )
    owner_name = serializers.SerializerMethodField(help_text=_("The owner's name."))
    exposure = serializers.IntegerField(read_only=True, help_text=_("Probability × impact, 1..25."))
    reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, help_text=_("Why (recorded in the audit trail).")
    )

    class Meta:
        model = Risk
        fields = [
            "id",
            "project",
            "project_code",
            "title",
            "probability",
            "impact",
            "exposure",
            "owner",
            "owner_name",
            "mitigation",
            "status",
            "visibility",
            "version",
            "reason",
        ]
        read_only_fields = ["id", "version"]
        extra_kwargs = {
            "probability": {"help_text": _("1 (rare) .. 5 (almost certain).")},
            "impact": {"help_text": _("1 (negligible) .. 5 (severe).")},
            "visibility": {"help_text": _("internal: CMO only; shared: the client sees it.")},
        }

    def get_owner_name(self, obj) -> str | None:
        return user_name(obj.owner)


class RiskViewSet(VersionedUpdateMixin, ScopedModelViewSet):
    """The risk register. Updates take ``If-Match`` with the ETag of a GET (stale → 412, missing → 428)."""

    queryset = Risk.objects.select_related("project", "owner")
    serializer_class = RiskSerializer
    filterset_class = RiskFilter
    permission_classes = [CanWriteProjects]
    http_method_names = ["get", "post", "patch", "head", "options"]
    ordering_fields = ["probability", "impact", "title"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.risk_create(actor=self.request.user, project=data.pop("project"), **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("project", None)
        serializer.instance = services.risk_update(
            actor=self.request.user,
            risk=serializer.instance,
            expected_version=self.expected_version(),
            reason=data.pop("reason", ""),
            **data,
        )
