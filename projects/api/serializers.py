from rest_framework import serializers

from projects.models import Project


class ProjectSerializer(serializers.ModelSerializer):
    client_name = serializers.CharField(source="client.name", read_only=True)
    manager_name = serializers.CharField(source="manager.display_name", read_only=True, default=None)

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
        ]
        read_only_fields = [
            "id",
            "version",
            "tradeoff_time",
            "tradeoff_scope",
            "tradeoff_quality",
            "tradeoff_cost",
        ]

    def validate(self, attrs):
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        target = attrs.get("target_date", getattr(self.instance, "target_date", None))
        if start and target and target < start:
            raise serializers.ValidationError({"target_date": ["The target date cannot be before the start date."]})
        return attrs
