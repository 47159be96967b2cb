"""Celery tasks: thin wrappers (ids in, a service call, retries and time limits)."""

import logging

from celery import shared_task
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def enqueue_project_recompute(project_id: int) -> None:
    """Ask a worker to recompute one project; if the broker is down, the stale mark catches up later."""
    try:
        recompute_project_scores.delay(project_id)
    except (OperationalError, OSError) as error:
        logger.warning("Broker unavailable; project %s stays marked stale (%s)", project_id, error)


@shared_task(
    name="metrics.tasks.recompute_project_scores",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
    soft_time_limit=60,
    time_limit=90,
)
def recompute_project_scores(project_id: int) -> int:
    """Recompute one project's scores (idempotent: the snapshot of the period is replaced)."""
    from metrics.services import scores_recompute

    return scores_recompute(project_ids=[project_id], channel="task")


@shared_task(
    name="metrics.tasks.recompute_all_scores",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=600,
    time_limit=660,
)
def recompute_all_scores(at: str | None = None) -> int:
    """Recompute every active project's scores (beat, every 15 minutes); catches up stale ones.

    ``at`` (ISO datetime) pins the period bucket, for backfills and tests; default now.
    """
    import datetime as dt

    from metrics.services import scores_recompute

    return scores_recompute(project_ids=None, channel="task", now=dt.datetime.fromisoformat(at) if at else None)
