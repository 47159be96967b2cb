"""API of milestones (date changes need a ``reason``) with their checklists."""

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api import ScopedModelViewSet, VersionedUpdateMixin
from core.filtering import IdFilter, StrictFilterSet
from core.serializers import StrictModelSerializer
from projects.milestones import services
from projects.milestones.models import ChecklistItem, Milestone
from projects.record_api import CanWriteProjects
from projects.records import Project


class ChecklistItemSerializer(StrictModelSerializer):
    class Meta:
        model = ChecklistItem
        fields = ["id", "sequence", "text", "required", "done", "done_at"]
        read_only_fields = fields


class MilestoneSerializer(StrictModelSerializer):
    reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        help_text=_("Required when a baseline or forecast date changes."),
    )
    override_reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        help_text=_("Completes the milestone although required checklist items are open."),
    )
    predecessors = serializers.SerializerMethodField(help_text=_("Ids of the milestones this one waits for."))
    checklist = ChecklistItemSerializer(many=True, read_only=True)
    slip_days = serializers.IntegerField(read_only=True, help_text=_("Days late against the baseline (0 if on time)."))

    class Meta:
        model = Milestone
        fields = [
            "id",
            "project",
            "sequence",
            "name",
            "baseline_date",
            "forecast_date",
            "actual_date",
            "weight",
            "percent_complete",
            "client_visible",
            "value_adding",
            "slip_days",
            "predecessors",
            "checklist",
            "completion_override_reason",
            "version",
            "reason",
            "override_reason",
        ]
        read_only_fields = ["id", "version", "completion_override_reason"]

    def get_predecessors(self, obj) -> list[int]:
        return sorted(link.predecessor_id for link in obj.predecessor_links.all())


class MilestoneUpdateSerializer(MilestoneSerializer):
    class Meta(MilestoneSerializer.Meta):
        read_only_fields = ["id", "version", "completion_override_reason", "project", "sequence"]


class MilestoneFilter(StrictFilterSet):
    project = IdFilter(field_name="project_id", help_text="Only milestones of this project.")
    client = IdFilter(field_name="project__client_id", help_text="Only milestones of this client's projects.")

    class Meta:
        model = Milestone
        fields = ["project", "client", "client_visible", "value_adding"]


class MilestoneViewSet(VersionedUpdateMixin, ScopedModelViewSet):
    """Milestones in scope (clients: client-visible ones). Date changes need a ``reason``."""

    queryset = Milestone.objects.select_related("project").prefetch_related("checklist", "predecessor_links")
    serializer_class = MilestoneSerializer
    filterset_class = MilestoneFilter
    permission_classes = [CanWriteProjects]
    http_method_names = ["get", "post", "patch", "put", "head", "options"]
    ordering_fields = ["sequence", "forecast_date", "baseline_date"]

    def get_serializer_class(self):
        return MilestoneUpdateSerializer if self.action in ("update", "partial_update") else MilestoneSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        project = data.pop("project")
        if not Project.objects.for_user(self.request.user).filter(pk=project.pk).exists():
            raise Http404
        serializer.instance = services.milestone_create(actor=self.request.user, project=project, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.milestone_update(
            actor=self.request.user,
            milestone=serializer.instance,
            expected_version=self.expected_version(),
            reason=data.pop("reason", ""),
            override_reason=data.pop("override_reason", ""),
            **data,
        )
