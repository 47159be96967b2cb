"""API of project templates (CMO staff, read only)."""

from rest_framework import serializers

from core.api import ScopedReadOnlyViewSet
from core.serializers import StrictModelSerializer
from projects.plan_templates.models import MilestoneTemplate, ProjectTemplate


class MilestoneTemplateSerializer(StrictModelSerializer):
    checklist = serializers.SlugRelatedField(many=True, read_only=True, slug_field="text")

    class Meta:
        model = MilestoneTemplate
        fields = [
            "sequence",
            "name",
            "offset_days",
            "duration_days",
            "weight",
            "value_adding",
            "client_visible",
            "checklist",
        ]


class ProjectTemplateSerializer(StrictModelSerializer):
    milestones = MilestoneTemplateSerializer(many=True, read_only=True)

    class Meta:
        model = ProjectTemplate
        fields = ["id", "name", "service_type", "description", "active", "milestones"]


class TemplateViewSet(ScopedReadOnlyViewSet):
    """Project templates (CMO staff): milestones with offsets, weights and checklists."""

    queryset = ProjectTemplate.objects.prefetch_related("milestones__checklist")
    serializer_class = ProjectTemplateSerializer
    filterset_fields = ["service_type", "active"]
    ordering_fields = ["name"]
