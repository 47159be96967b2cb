from django.contrib.auth.models import AnonymousUser
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from projects.models import (
    Baseline,
    BaselineItem,
    ChecklistItem,
    Milestone,
    MilestoneTemplate,
    Project,
    ProjectTemplate,
    Signature,
)
from projects.selectors import baseline_items


class ProjectSerializer(serializers.ModelSerializer):
    client_name = serializers.CharField(source="client.name", read_only=True)
    manager_name = serializers.CharField(source="manager.display_name", read_only=True, default=None)
    template = serializers.PrimaryKeyRelatedField(
        queryset=ProjectTemplate.objects.filter(active=True),
        write_only=True,
        required=False,
        help_text="On create: build milestones and checklists from this template.",
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
            raise serializers.ValidationError({"target_date": ["The target date cannot be before the start date."]})
        return attrs


class ChecklistItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChecklistItem
        fields = ["id", "sequence", "text", "required", "done", "done_at"]
        read_only_fields = fields


class MilestoneSerializer(serializers.ModelSerializer):
    reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        help_text="Required when a baseline or forecast date changes.",
    )
    override_reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        help_text="Completes the milestone although required checklist items are open.",
    )
    predecessors = serializers.SerializerMethodField(help_text="Ids of the milestones this one waits for.")
    checklist = ChecklistItemSerializer(many=True, read_only=True)
    slip_days = serializers.IntegerField(read_only=True, help_text="Days late against the baseline (0 if on time).")

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


class BaselineItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = BaselineItem
        fields = ["milestone", "milestone_name", "date"]


class BaselineSerializer(serializers.ModelSerializer):
    items = serializers.SerializerMethodField(
        help_text="Each milestone's baselined date; client users see only client-visible milestones."
    )
    created_by_name = serializers.CharField(source="created_by.display_name", read_only=True)

    class Meta:
        model = Baseline
        fields = [
            "id",
            "project",
            "number",
            "status",
            "reason",
            "budget",
            "created_by_name",
            "created_at",
            "decided_at",
            "items",
        ]
        read_only_fields = fields

    @extend_schema_field(BaselineItemSerializer(many=True))
    def get_items(self, obj) -> list:
        request = self.context.get("request")
        user = request.user if request is not None else AnonymousUser()  # no caller: the client's view
        return BaselineItemSerializer(baseline_items(user=user, baseline=obj), many=True).data


class RebaselineSerializer(serializers.Serializer):
    project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.all())
    reason = serializers.CharField(help_text="Why the plan changes (required, recorded in the audit trail).")


class SignSerializer(serializers.Serializer):
    password = serializers.CharField(style={"input_type": "password"}, help_text="The signer's password, re-entered.")
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class SignatureSerializer(serializers.ModelSerializer):
    class Meta:
        model = Signature
        fields = ["id", "printed_name", "signed_at", "meaning", "content_hash"]
        read_only_fields = fields


class MilestoneTemplateSerializer(serializers.ModelSerializer):
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


class ProjectTemplateSerializer(serializers.ModelSerializer):
    milestones = MilestoneTemplateSerializer(many=True, read_only=True)

    class Meta:
        model = ProjectTemplate
        fields = ["id", "name", "service_type", "description", "active", "milestones"]


class AuditChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class AuditEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField(help_text="When (UTC).")
    record_type = serializers.CharField()
    record_id = serializers.CharField()
    record_label = serializers.CharField()
    action = serializers.CharField(help_text="insert, update or delete.")
    actor = serializers.CharField()
    channel = serializers.CharField(help_text="page, api, admin, task, command or database.")
    reason = serializers.CharField()
    changes = AuditChangeSerializer(many=True)
