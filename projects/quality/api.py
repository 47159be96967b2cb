"""API of batches and quality events."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ScopedModelViewSet
from core.filtering import StrictBooleanFilter
from core.serializers import StrictSerializer
from projects.quality import services
from projects.quality.models import Batch, QualityEvent
from projects.record_api import (
    CanWriteProjects,
    ProjectRecordFilter,
    ProjectRecordSerializer,
    ScopedRelatedField,
)


class BatchFilter(ProjectRecordFilter):
    class Meta:
        model = Batch
        fields = ["project", "client", "outcome"]


class QualityEventFilter(ProjectRecordFilter):
    open = StrictBooleanFilter(field_name="closed", lookup_expr="isnull", help_text="true: not closed yet.")

    class Meta:
        model = QualityEvent
        fields = ["project", "client", "kind", "severity", "visibility", "batch"]


class BatchSerializer(ProjectRecordSerializer):
    reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, help_text=_("Why (recorded in the audit trail).")
    )

    class Meta:
        model = Batch
        fields = [
            "id",
            "project",
            "project_code",
            "number",
            "planned_date",
            "actual_date",
            "outcome",
            "right_first_time",
            "reason",
        ]
        read_only_fields = ["id"]
        extra_kwargs = {
            "number": {"help_text": _("The batch number, unique within the project.")},
            "actual_date": {"help_text": _("When the batch was actually made (empty while planned).")},
        }


class BatchViewSet(ScopedModelViewSet):
    """Batches of a project: everyone in scope reads; the project's PM or an admin records and updates them."""

    queryset = Batch.objects.select_related("project")
    serializer_class = BatchSerializer
    filterset_class = BatchFilter
    permission_classes = [CanWriteProjects]
    http_method_names = ["get", "post", "patch", "head", "options"]
    ordering_fields = ["planned_date", "number"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.batch_create(actor=self.request.user, project=data.pop("project"), **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("project", None)
        serializer.instance = services.batch_update(
            actor=self.request.user, batch=serializer.instance, reason=data.pop("reason", ""), **data
        )


# --- Quality events ------------------------------------------------------------------------------


class QualityEventSerializer(ProjectRecordSerializer):
    batch = ScopedRelatedField(
        queryset=Batch.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("The batch concerned, if any (same project)."),
    )
    batch_number = serializers.CharField(source="batch.number", read_only=True, default=None, allow_null=True)
    reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, help_text=_("Why (recorded in the audit trail).")
    )

    class Meta:
        model = QualityEvent
        fields = [
            "id",
            "project",
            "project_code",
            "batch",
            "batch_number",
            "reference",
            "title",
            "kind",
            "severity",
            "opened",
            "due",
            "closed",
            "visibility",
            "reason",
        ]
        read_only_fields = ["id", "closed"]
        extra_kwargs = {
            "visibility": {"help_text": _("internal: CMO only; shared: the client sees it.")},
            "due": {"help_text": _("When it must be closed (CAPA due date).")},
            "closed": {"help_text": _("Set with the close/ action.")},
        }


class QualityEventCloseSerializer(StrictSerializer):
    closed = serializers.DateField(help_text=_("The day the event was closed (not before it was opened)."))
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Why (recorded in the audit trail).")
    )


class QualityEventViewSet(ScopedModelViewSet):
    """Deviations, OOS, complaints and CAPAs. Internal ones never reach client users."""

    queryset = QualityEvent.objects.select_related("project", "batch")
    serializer_class = QualityEventSerializer
    filterset_class = QualityEventFilter
    permission_classes = [CanWriteProjects]
    http_method_names = ["get", "post", "head", "options"]
    ordering_fields = ["opened", "due", "severity"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.quality_event_create(
            actor=self.request.user, project=data.pop("project"), **data
        )

    @extend_schema(request=QualityEventCloseSerializer, responses=QualityEventSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the event on a given day (the project's PM or an admin)."""
        event = self.get_object()
        serializer = QualityEventCloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = services.quality_event_close(actor=request.user, event=event, **serializer.validated_data)
        return Response(QualityEventSerializer(event, context=self.get_serializer_context()).data)
