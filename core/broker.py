"""Sending work to the Celery broker without letting a broker outage break the write that asked for it."""

import logging

from celery import current_app

logger = logging.getLogger(__name__)


def send_task_safely(name: str, *args) -> bool:
    """Enqueue the task registered as ``name``; False (logged) when the broker cannot take it.

    By name, so a lower layer can ask for work a higher one implements. Callers keep a durable mark
    (``scores_stale``) so the scheduled run catches up what a down broker could not take. No result is
    awaited (``ignore_result``): subscribing to the Redis result backend is what kept a request waiting 19 s
    on a down Redis; the publish itself gives up within the short retry policy in settings.
    """
    try:
        current_app.send_task(name, args=list(args), ignore_result=True)
    except Exception as error:  # kombu, redis-py and Celery each raise their own errors for a down broker
        logger.warning("Broker unavailable: %s%s not enqueued (%s)", name, args, error)
        return False
    return True
