"""Celery tasks: thin wrappers (ids in, a service call, retries and time limits).

Every hard ``time_limit`` plus the longest retry countdown (``retry_backoff_max``) stays under the broker's
visibility timeout (``settings.REDIS_VISIBILITY_TIMEOUT``, 10 minutes): see docs/operations.md, "Killed tasks".
"""

import logging

from celery import shared_task

from core.tasks import idempotent_task

logger = logging.getLogger(__name__)


@idempotent_task(
    name="metrics.tasks.recompute_project_scores",
    soft_time_limit=60,
    time_limit=90,
    retry_backoff_max=300,
    max_retries=5,
)
def recompute_project_scores(project_id: int) -> int:
    """Recompute one project's scores (idempotent: the snapshot of the period is replaced)."""
    from metrics.scores.services import scores_recompute

    return scores_recompute(project_ids=[project_id], channel="task")


@idempotent_task(
    name="metrics.tasks.recompute_all_scores",
    soft_time_limit=420,
    time_limit=480,
    retry_backoff_max=60,
    max_retries=3,
)
def recompute_all_scores(at: str | None = None, full: bool = False) -> int:
    """Recompute every active project's scores (beat, every 15 minutes); catches up stale ones.

    ``at`` (ISO datetime) pins the period bucket, for backfills and tests; default now. ``full`` computes every
    project even if its inputs did not change (the bench's worst case; an operator's manual run).
    """
    import datetime as dt

    from metrics.scores.services import scores_recompute

    now = dt.datetime.fromisoformat(at) if at else None
    return scores_recompute(project_ids=None, channel="task", now=now, full=bool(full))


@idempotent_task(
    name="metrics.tasks.prune_score_history",
    soft_time_limit=300,
    time_limit=360,
    retry_backoff_max=120,
    max_retries=3,
)
def prune_score_history(at: str | None = None) -> int:
    """Nightly (beat): thin score history by the retention rule (metrics/scores/retention.py)."""
    import datetime as dt

    from metrics.scores.retention import snapshots_prune

    deleted = snapshots_prune(now=dt.datetime.fromisoformat(at) if at else None)
    logger.info("Pruned %s score snapshots.", deleted)
    return deleted


@idempotent_task(
    name="metrics.tasks.run_survey_schedule",
    soft_time_limit=300,
    time_limit=360,
    retry_backoff_max=120,
    max_retries=3,
)
def run_survey_schedule(at: str | None = None) -> dict[str, int] | None:
    """Hourly (beat): expire, open survey rounds and invite, remind; locked against a second beat.

    ``at`` (ISO datetime) pins "now", for backfills and tests.
    """
    import datetime as dt

    from metrics.surveys.services import surveys_run_schedule

    return surveys_run_schedule(now=dt.datetime.fromisoformat(at) if at else None)


@idempotent_task(
    name="metrics.tasks.roll_up_lean_metrics",
    soft_time_limit=420,
    time_limit=480,
    retry_backoff_max=60,
    max_retries=3,
)
def roll_up_lean_metrics(at: str | None = None) -> int | None:
    """Nightly (beat): Lean counters per project and quarter, then the clients' KPI targets; idempotent.

    ``at`` (ISO datetime) pins "now", for backfills and tests. None: another run held the lock.
    """
    import datetime as dt

    from metrics.lean.services import lean_rollup_refresh

    return lean_rollup_refresh(now=dt.datetime.fromisoformat(at) if at else None)


@shared_task(name="metrics.tasks.send_weekly_digest", soft_time_limit=300, time_limit=360)
def send_weekly_digest() -> int | None:
    """Monday 07:00 UTC: leadership's portfolio digest and each client user's own projects; once per ISO week
    (not acks_late: a digest killed mid-send is not redelivered; a new dispatch that week sends nothing)."""
    from metrics.portfolio.digest import weekly_digest_send

    return weekly_digest_send()
