"""How the portal declares a Celery task that is safe to run twice (ids in, a service call)."""

from celery import shared_task


def idempotent_task(*, name: str, soft_time_limit: int, time_limit: int, retry_backoff_max: int, max_retries: int):
    """A task acknowledged after it ran (a killed worker's task is redelivered: see docs/operations.md) and
    retried with exponential backoff; only for tasks whose second run changes nothing."""
    return shared_task(
        name=name,
        acks_late=True,
        autoretry_for=(Exception,),
        retry_backoff=True,
        retry_backoff_max=retry_backoff_max,
        max_retries=max_retries,
        soft_time_limit=soft_time_limit,
        time_limit=time_limit,
    )
