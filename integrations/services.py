"""Writes of the outgoing webhooks: endpoints (registered by administrators), the deliveries each domain event
creates, one delivery attempt (signed POST, answer logged, retry scheduled), and the sweep of due deliveries.

Flow: a service publishes a domain event (``core.events.publish``) inside its transaction →
``webhook_event_record`` writes one pending delivery per subscribed endpoint, its payload read as the endpoint's
owner would read it (``integrations.payloads``), in that same transaction (nothing is lost if the process dies
after the commit) → after commit, one Celery task per delivery (``integrations.tasks.deliver_webhook``) →
``webhook_delivery_attempt``. A failed attempt is retried after ``WEBHOOK_RETRY_COUNTDOWNS``; after the last one the
delivery fails and the endpoint is marked failing; the next success clears the mark.
"""

import datetime as dt
import json
import logging

from celery import current_app
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from clients import access
from clients.models import Role, User
from core.audit import audit_context
from core.events import DomainEvent
from core.phrases import phrase
from integrations import destinations, signing
from integrations.events import EVENTS
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from integrations.payloads import payload_for
from metrics.locks import WEBHOOK_SWEEP_LOCK, try_xact_lock
from projects.notifications.services import notify

logger = logging.getLogger(__name__)

DELIVER_TASK = "integrations.tasks.deliver_webhook"
EDITABLE_FIELDS = ("name", "url", "event_keys", "active")
SWEEP_BATCH = 500


def _require_manager(actor) -> None:
    if not access.can_manage_webhooks(actor):
        raise PermissionDenied(_("Only administrators register or change webhook endpoints."))


def _clean(endpoint: WebhookEndpoint) -> None:
    errors: dict[str, list[str]] = {}
    try:
        endpoint.url = destinations.url_check(endpoint.url)
    except ValidationError as error:
        errors["url"] = error.messages
    events = list(endpoint.event_keys or [])
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        errors["events"] = [
            _("Unknown event: %(unknown)s. Choose from %(events)s.")
            % {"unknown": ", ".join(unknown), "events": ", ".join(EVENTS)}
        ]
    elif not events:
        errors["events"] = [_("Choose at least one event.")]
    else:
        endpoint.event_keys = [key for key in EVENTS if key in events]  # declared order, no duplicates
    if not (endpoint.name or "").strip():
        errors["name"] = [_("Give the endpoint a name.")]
    if endpoint.client_id is not None and not endpoint.client.active:
        errors["client"] = [_("This client is inactive.")]
    if errors:
        raise ValidationError(errors)
    endpoint.name = endpoint.name.strip()


@transaction.atomic
def webhook_endpoint_create(*, actor, client, name: str, url: str, events: list[str]) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its secret, which is shown this once (the receiver keeps it)."""
    _require_manager(actor)
    endpoint = WebhookEndpoint(client=client, name=name or "", url=url or "", event_keys=list(events or []))
    _clean(endpoint)
    endpoint.secret = signing.new_secret()
    endpoint.created_by = actor
    with audit_context(actor=actor, reason=f"Webhook endpoint “{endpoint.name}” registered"):
        endpoint.full_clean(exclude=["secret"])
        endpoint.save()
    return endpoint, endpoint.secret


@transaction.atomic
def webhook_endpoint_update(*, actor, endpoint: WebhookEndpoint, reason: str = "", **changes) -> WebhookEndpoint:
    """Change name, URL, events or active; the owner (client) never changes: register another endpoint instead."""
    _require_manager(actor)
    if "events" in changes:  # the API's name of the field
        changes["event_keys"] = changes.pop("events")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({field: [_("This field cannot be changed.")] for field in sorted(unknown)})
    locked = WebhookEndpoint.objects.select_for_update(of=("self",)).select_related("client").get(pk=endpoint.pk)
    before = {field: getattr(locked, field) for field in EDITABLE_FIELDS}
    for field, value in changes.items():
        setattr(locked, field, value)
    _clean(locked)
    changed = [field for field in EDITABLE_FIELDS if getattr(locked, field) != before[field]]
    if not changed:
        return locked
    with audit_context(actor=actor, reason=(reason or "").strip() or "Webhook endpoint changed"):
        locked.full_clean(exclude=["secret"])
        locked.save(update_fields=changed)
    return locked


@transaction.atomic
def webhook_endpoint_deactivate(*, actor, endpoint: WebhookEndpoint, reason: str = "") -> WebhookEndpoint:
    """ "Delete": the endpoint stops receiving and its pending deliveries are cancelled; the registration and its
    delivery log stay (what was sent to whom remains answerable)."""
    _require_manager(actor)
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if locked.active:
        with audit_context(actor=actor, reason=(reason or "").strip() or "Webhook endpoint removed"):
            locked.active = False
            locked.save(update_fields=["active"])
    WebhookDelivery.objects.filter(endpoint=locked, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.CANCELLED, next_attempt_at=None
    )
    return locked


# --- Events → deliveries ---------------------------------------------------------------------------------------


def webhook_event_record(event: DomainEvent) -> None:
    """Listener of ``core.events``: one pending delivery per active endpoint subscribed to the event whose owner
    may see it (the project's client's endpoints and the CMO's), in the publisher's transaction; sent after commit.

    A fault here never fails the user's write: it is logged and the event is not delivered.
    """
    try:
        with transaction.atomic():  # a savepoint: a fault here leaves the user's write intact
            ids = _record(event)
    except Exception:
        logger.exception("Webhook deliveries of %s (project %s) not recorded", event.key, event.project_id)
        return
    if ids:
        transaction.on_commit(lambda: [_enqueue(pk) for pk in ids])


def _record(event: DomainEvent) -> list[int]:
    endpoints = list(
        WebhookEndpoint.objects.filter(active=True, event_keys__contains=[event.key])
        .filter(Q(client__isnull=True) | Q(client__projects__id=event.project_id))
        .select_related("client")
        .distinct()
    )
    if not endpoints:
        return []
    now = timezone.now()
    payloads: dict[int | None, dict | None] = {}
    deliveries = []
    for endpoint in endpoints:
        if endpoint.client_id not in payloads:
            payloads[endpoint.client_id] = payload_for(endpoint.client, event, occurred_at=now)
        payload = payloads[endpoint.client_id]
        if payload is not None:
            deliveries.append(
                WebhookDelivery(
                    endpoint=endpoint, event_id=event.id, event=event.key, payload=payload, next_attempt_at=now
                )
            )
    created = WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=False)
    return [delivery.pk for delivery in created]


def _enqueue(delivery_id: int, countdown: float = 0) -> bool:
    """Send the delivery's task; a down broker leaves it pending for the sweep (logged, never raised)."""
    try:
        current_app.send_task(DELIVER_TASK, args=[delivery_id], countdown=countdown or None, ignore_result=True)
    except Exception as error:  # kombu, redis-py and Celery each raise their own errors for a down broker
        logger.warning("Broker unavailable: webhook delivery %s left for the sweep (%s)", delivery_id, error)
        return False
    return True


# --- One attempt ---------------------------------------------------------------------------------------------


def delivery_body(delivery: WebhookDelivery) -> bytes:
    """The exact bytes sent (and signed): the payload as compact JSON, keys sorted."""
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()


def _countdowns() -> list[float]:
    return [float(c) for c in settings.WEBHOOK_RETRY_COUNTDOWNS]


def webhook_delivery_attempt(*, delivery_id: int, now: dt.datetime | None = None) -> str:
    """Send one due delivery once: under a row lock, so two workers (a redelivered task, the sweep) never send
    the same attempt twice; a delivered, failed or cancelled delivery, or one not yet due, is left alone."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return "busy or gone"  # another worker holds it: that one sends
        if delivery.status != DeliveryStatus.PENDING:
            return delivery.status
        now = now or timezone.now()
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return "not due"
        endpoint = delivery.endpoint
        if not endpoint.active:
            delivery.status = DeliveryStatus.CANCELLED
            delivery.next_attempt_at = None
            delivery.save(update_fields=["status", "next_attempt_at"])
            return delivery.status
        body = delivery_body(delivery)
        headers = {
            signing.HEADER: signing.signature_header(endpoint.secret, body),
            "X-CMO-Event": delivery.event,
            "X-CMO-Delivery": str(delivery.event_id),
            "X-CMO-Attempt": str(delivery.attempts + 1),
        }
        answer = destinations.post(endpoint.url, body, headers, timeout=settings.WEBHOOK_TIMEOUT)
        done = timezone.now()
        delivery.attempts += 1
        delivery.last_status_code = answer.status
        delivery.last_response = answer.body
        delivery.last_error = answer.error
        delivery.log = [
            *delivery.log,
            {"at": done.isoformat(), "status": answer.status, "error": answer.error, "ms": answer.milliseconds},
        ]
        countdowns = _countdowns()
        retry_in = None
        if answer.ok:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = done
            delivery.next_attempt_at = None
            WebhookEndpoint.objects.filter(pk=endpoint.pk).filter(
                Q(failing_since__isnull=False) | Q(consecutive_failures__gt=0)
            ).update(failing_since=None, consecutive_failures=0)
        elif delivery.attempts > len(countdowns):
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            # The first delivery given up marks the endpoint failing (one statement: of two workers, one wins) and
            # tells the administrators once; later failures only count.
            newly_failing = WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
                failing_since=done, consecutive_failures=F("consecutive_failures") + 1
            )
            if newly_failing:
                _tell_failing(endpoint, delivery)
            else:
                WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
                    consecutive_failures=F("consecutive_failures") + 1
                )
            logger.warning(
                "Webhook delivery %s to endpoint %s failed after %s attempts",
                delivery.pk,
                endpoint.pk,
                delivery.attempts,
            )
        else:
            retry_in = countdowns[delivery.attempts - 1]
            delivery.next_attempt_at = done + dt.timedelta(seconds=retry_in)
        delivery.save()
        if retry_in is not None and retry_in <= settings.WEBHOOK_BROKER_COUNTDOWN_MAX:
            # Longer waits are left to the sweep: a message held by a worker longer than the broker's visibility
            # timeout would be delivered again (settings.REDIS_VISIBILITY_TIMEOUT).
            pk, countdown = delivery.pk, retry_in
            transaction.on_commit(lambda: _enqueue(pk, countdown))
        return delivery.status


def webhook_deliveries_sweep(*, now: dt.datetime | None = None) -> int | None:
    """Every minute (beat): send the pending deliveries due for a while (a broker that was down, a long retry
    wait). None when another sweep holds the lock."""
    now = now or timezone.now()
    with transaction.atomic():
        if not try_xact_lock(WEBHOOK_SWEEP_LOCK):
            return None
        due = list(
            WebhookDelivery.objects.filter(
                status=DeliveryStatus.PENDING,
                next_attempt_at__lte=now - dt.timedelta(seconds=settings.WEBHOOK_SWEEP_GRACE),
            )
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
    for pk in due:
        _enqueue(pk)
    return len(due)


def _tell_failing(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> None:
    """A notification (and its e-mail) to the CMO's active administrators and the endpoint's creator when it is
    staff: the endpoint has just been marked failing. Never to a client's user."""
    recipients = User.objects.filter(is_active=True, client__isnull=True).filter(
        Q(role=Role.ADMIN) | Q(pk=endpoint.created_by_id)
    )
    notify(
        recipients=list(recipients),
        kind="webhook_failing",
        project=None,
        text=phrase(
            gettext_noop(
                "Webhook “%(name)s” is failing: a %(event)s delivery got no success after %(attempts)s attempts. "
                "New events are still sent; check the receiver."
            ),
            name=endpoint.name,
            event=delivery.event,
            attempts=delivery.attempts,
        ),
        url=f"/admin/integrations/webhookendpoint/{endpoint.pk}/change/",
    )
