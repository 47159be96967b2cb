"""Outgoing webhooks: endpoints (one client's, or the CMO's) and the log of every delivery to them."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clients.access import ScopedQuerySet
from core.audit import audited
from integrations.events import EVENT_CHOICES


class WebhookEndpointQuerySet(ScopedQuerySet):
    """CMO staff only (the API further limits it to leadership and administrators); never a client user."""

    client_path = "client"
    staff_only = True


# The secret is never in the audit trail (it would be readable there forever); nor are the delivery counters,
# which the worker moves on every failure (they are operations, not a change of the registration).
@audited(exclude=["secret", "failing_since", "consecutive_failures"])
class WebhookEndpoint(models.Model):
    client = models.ForeignKey(
        "clients.Client",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="webhook_endpoints",
        help_text=_("Whose events it receives, as that client's users see them; empty: the CMO's (everything)."),
    )
    name = models.CharField(max_length=120, help_text=_("What it is, e.g. “Aurora ERP”."))
    url = models.URLField(max_length=500, help_text=_("HTTPS address that receives the POSTs."))
    event_keys = ArrayField(
        models.CharField(max_length=40, choices=EVENT_CHOICES),
        help_text=_("The events it receives."),
    )
    secret = models.CharField(max_length=100, editable=False, help_text=_("HMAC key of the signatures."))
    active = models.BooleanField(default=True)
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text=_("Set when a delivery ran out of attempts; cleared by the next success.")
    )
    consecutive_failures = models.PositiveIntegerField(
        default=0, help_text=_("Deliveries that ran out of attempts since the last success.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        ordering = ["client__name", "name", "pk"]
        constraints = [
            models.CheckConstraint(name="webhook_endpoint_has_events", condition=~Q(event_keys=[])),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def failing(self) -> bool:
        return self.failing_since is not None


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled (endpoint deactivated)")


class WebhookDeliveryQuerySet(ScopedQuerySet):
    client_path = "endpoint__client"
    staff_only = True


class WebhookDelivery(models.Model):
    """One event for one endpoint: its payload as the endpoint's owner may see it, and every attempt's answer."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(default=uuid.uuid4, help_text=_("Sent as X-CMO-Delivery: the receiver's dedup key."))
    event = models.CharField(max_length=40, choices=EVENT_CHOICES)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response = models.TextField(blank=True, help_text=_("The receiver's last answer (first 2,000 characters)."))
    last_error = models.CharField(max_length=500, blank=True)
    log = models.JSONField(default=list, help_text=_("Every attempt: when, status code, error, milliseconds."))
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_delivery_once_per_endpoint"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id}"
