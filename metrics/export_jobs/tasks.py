"""Celery tasks of the export jobs: thin (a job id in, a service call); retries and time limits here."""

import logging

from core.tasks import idempotent_task

logger = logging.getLogger(__name__)


@idempotent_task(
    name="metrics.export_jobs.tasks.build_export",
    soft_time_limit=420,
    time_limit=480,
    retry_backoff_max=60,
    max_retries=2,
)
def build_export(job_id: int) -> str:
    """Build one export job's file (idempotent: a built or failed job is left alone, see the service).

    An unexpected error is retried; after the last retry the job fails with a message for the user (the
    traceback goes to the log only).
    """
    from metrics.export_jobs.services import FAILED_TO_BUILD, export_job_build, export_job_fail

    try:
        return export_job_build(job_id=job_id)
    except Exception:
        if build_export.request.retries >= build_export.max_retries:
            logger.exception("Export job %s failed", job_id)
            export_job_fail(job_id=job_id, message=FAILED_TO_BUILD)
            return "failed"
        raise


@idempotent_task(
    name="metrics.export_jobs.tasks.sweep_export_jobs",
    soft_time_limit=120,
    time_limit=180,
    retry_backoff_max=60,
    max_retries=3,
)
def sweep_export_jobs() -> dict[str, int]:
    """Every 5 minutes (beat): delete expired exports, fail stuck ones, send again ones the broker lost."""
    from metrics.export_jobs.services import export_jobs_sweep

    return export_jobs_sweep()
