"""API serializers of the project itself and of its audit trail."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.serializers import StrictModelSerializer, StrictSerializer
from projects.plan_templates.models import ProjectTemplate
from projects.records import Project


class ProjectSerializer(StrictModelSerializer):
    client_name = serializers.CharField(source="client.name", read_only=True)
    manager_name = serializers.CharField(source="manager.display_name", read_only=True, default=None, allow_null=True)
    template = serializers.PrimaryKeyRelatedField(
        queryset=ProjectTemplate.objects.filter(active=True),
        write_only=True,
        required=False,
        help_text=_("On create: build milestones and checklists from this template."),
    )

    class Meta:
        model = Project
        fields = [
            "id",
            "client",
            "client_name",
            "code",
            "name",
            "product",
            "service_type",
            "manager",
            "manager_name",
            "status",
            "start_date",
            "target_date",
            "budget",
            "contract_value",
            "currency",
            "tradeoff_time",
            "tradeoff_scope",
            "tradeoff_quality",
            "tradeoff_cost",
            "version",
            "template",
        ]
        read_only_fields = ["id", "version", "tradeoff_time", "tradeoff_scope", "tradeoff_quality", "tradeoff_cost"]

    def validate(self, attrs):
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        target = attrs.get("target_date", getattr(self.instance, "target_date", None))
        if start and target and target < start:
            raise serializers.ValidationError(
                {"target_date": [gettext("The target date cannot be before the start date.")]}
            )
        return attrs


class ProjectUpdateSerializer(ProjectSerializer):
    """PUT/PATCH: the client never changes and a template applies on create only, so neither is offered."""

    template = None

    class Meta(ProjectSerializer.Meta):
        fields = [name for name in ProjectSerializer.Meta.fields if name != "template"]
        read_only_fields = [*ProjectSerializer.Meta.read_only_fields, "client"]


class AuditChangeSerializer(StrictSerializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class AuditEntrySerializer(StrictSerializer):
    at = serializers.DateTimeField(help_text=_("When (UTC)."))
    record_type = serializers.CharField()
    record_id = serializers.CharField()
    record_label = serializers.CharField()
    action = serializers.CharField(help_text=_("insert, update or delete."))
    actor = serializers.CharField()
    channel = serializers.CharField(help_text=_("page, api, admin, task, command or database."))
    reason = serializers.CharField()
    changes = AuditChangeSerializer(many=True)
