"""``/api/v1/webhooks/``: outgoing webhook endpoints (leadership reads, administrators write) and their deliveries.

The secret is in the answer to the POST that registers the endpoint, and never again. DELETE deactivates (the
registration and its delivery log stay; pending deliveries are cancelled).
"""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from clients import access
from clients.models import Client
from core.api import ScopedModelViewSet
from core.filtering import IdFilter, StrictFilterSet
from core.serializers import StrictModelSerializer
from integrations import services
from integrations.events import EVENT_CHOICES
from integrations.models import WebhookDelivery, WebhookEndpoint


class WebhookPermission(permissions.BasePermission):
    """Leadership and administrators read; only administrators register, change or remove (client users: 403)."""

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return access.can_read_webhooks(request.user)
        return access.can_manage_webhooks(request.user)


class WebhookEndpointSerializer(StrictModelSerializer):
    client = serializers.PrimaryKeyRelatedField(
        queryset=Client.objects.all(),
        allow_null=True,
        required=False,
        help_text=_("Whose events it receives, as that client's users see them; null: the CMO's (everything)."),
    )
    events = serializers.ListField(
        source="event_keys",
        child=serializers.ChoiceField(choices=EVENT_CHOICES),
        allow_empty=False,
        help_text=_("The events it receives."),
    )
    failing = serializers.BooleanField(
        read_only=True, help_text=_("A delivery ran out of attempts since the last success.")
    )
    pending_deliveries = serializers.IntegerField(read_only=True, default=0)
    reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=500, help_text=_("Why (audit trail).")
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "client",
            "name",
            "url",
            "events",
            "active",
            "failing",
            "failing_since",
            "consecutive_failures",
            "pending_deliveries",
            "created_at",
            "reason",
        ]
        read_only_fields = ["id", "failing_since", "consecutive_failures", "created_at"]


class WebhookEndpointUpdateSerializer(WebhookEndpointSerializer):
    class Meta(WebhookEndpointSerializer.Meta):
        read_only_fields = [*WebhookEndpointSerializer.Meta.read_only_fields, "client"]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True, help_text=_("The HMAC key of the signatures: shown in this answer only. Keep it.")
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(StrictModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "event_id",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_response",
            "last_error",
            "log",
            "payload",
            "created_at",
            "delivered_at",
        ]
        read_only_fields = fields


class WebhookEndpointFilter(StrictFilterSet):
    client = IdFilter(field_name="client_id", help_text=_("Only this client's endpoints."))

    class Meta:
        model = WebhookEndpoint
        fields = ["client", "active"]


class WebhookEndpointViewSet(ScopedModelViewSet):
    """Outgoing webhook endpoints: one client's (its events, as its users see them) or the CMO's (all)."""

    queryset = WebhookEndpoint.objects.annotate(
        pending_deliveries=Count("deliveries", filter=Q(deliveries__status="pending"))
    ).order_by("client__name", "name", "pk")
    serializer_class = WebhookEndpointSerializer
    filterset_class = WebhookEndpointFilter
    permission_classes = [WebhookPermission]
    ordering_fields = ["name", "created_at"]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return WebhookEndpointUpdateSerializer
        if self.action == "deliveries":
            return WebhookDeliverySerializer
        return WebhookEndpointSerializer

    @extend_schema(responses={201: WebhookEndpointCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        endpoint, secret = services.webhook_endpoint_create(
            actor=request.user, client=data.get("client"), name=data["name"], url=data["url"], events=data["event_keys"]
        )
        endpoint.secret = secret
        endpoint.pending_deliveries = 0
        return Response(WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        reason = data.pop("reason", "")
        serializer.instance = services.webhook_endpoint_update(
            actor=self.request.user, endpoint=serializer.instance, reason=reason, **data
        )
        serializer.instance.pending_deliveries = self.get_queryset().get(pk=serializer.instance.pk).pending_deliveries

    def perform_destroy(self, instance):
        services.webhook_endpoint_deactivate(actor=self.request.user, endpoint=instance)

    @extend_schema(responses=WebhookDeliverySerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def deliveries(self, request, pk=None):
        """The endpoint's deliveries, newest first: payload, status, attempts and the receiver's answers."""
        endpoint = self.get_object()
        queryset = (
            WebhookDelivery.objects.for_user(request.user).filter(endpoint=endpoint).order_by("-created_at", "-pk")
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)
