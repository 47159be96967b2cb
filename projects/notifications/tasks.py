"""Celery tasks of notifications (thin: ids in, a service call); the names stay "projects.tasks.*"."""

from celery import shared_task

from core.tasks import idempotent_task


@idempotent_task(
    name="projects.tasks.send_notification_emails",
    soft_time_limit=60,
    time_limit=90,
    retry_backoff_max=300,
    max_retries=5,
)
def send_notification_emails(notification_ids: list[int]) -> int:
    """E-mail these notifications; idempotent (already-sent ones are skipped)."""
    from projects.notifications.services import send_emails

    return send_emails(notification_ids)


@shared_task(name="projects.tasks.send_pending_emails", acks_late=True, soft_time_limit=120, time_limit=150)
def send_pending_emails() -> int:
    """Sweep for notifications whose e-mail could not be enqueued or sent (beat, every 5 minutes)."""
    from projects.notifications.services import send_emails

    return send_emails(None)
