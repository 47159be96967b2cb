"""Celery tasks of the outgoing webhooks: thin (an id in, a service call); the HTTP retry schedule is the
delivery's own (``next_attempt_at``); autoretry here covers only a fault of the portal itself (database down)."""

from core.tasks import idempotent_task


@idempotent_task(
    name="integrations.tasks.deliver_webhook",
    soft_time_limit=30,
    time_limit=60,
    retry_backoff_max=300,
    max_retries=5,
)
def deliver_webhook(delivery_id: int) -> str:
    """One attempt of one delivery (idempotent: sent at most once per attempt, under the delivery's row lock)."""
    from integrations.services import webhook_delivery_attempt

    return webhook_delivery_attempt(delivery_id=delivery_id)


@idempotent_task(
    name="integrations.tasks.sweep_webhook_deliveries",
    soft_time_limit=60,
    time_limit=120,
    retry_backoff_max=60,
    max_retries=3,
)
def sweep_webhook_deliveries() -> int | None:
    """Every minute: re-send the pending deliveries that are due (a down broker, a long retry wait)."""
    from integrations.services import webhook_deliveries_sweep

    return webhook_deliveries_sweep()
