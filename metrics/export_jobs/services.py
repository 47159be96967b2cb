"""Export jobs: ask for one (the web request only validates and enqueues), build it (the worker), sweep old ones.

The build is idempotent under redelivery: a session advisory lock per job lets one delivery build it at a time,
a job already done or failed is left as it is, and a job left ``running`` by a killed worker is built again from
the start. The file is built as the requesting user sees the report, checking again that they still may.
"""

import datetime as dt
import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from clients.languages import language_of
from core.broker import send_task_safely
from metrics.export_jobs import portfolio  # noqa: F401 -- registers the portfolio kinds
from metrics.export_jobs.kinds import EXPORT_KINDS, ExportKindSpec, export_kind
from metrics.export_jobs.models import EXPORT_KEPT_FOR, ExportJob, ExportStatus, access_scope_of
from metrics.locks import session_lock

logger = logging.getLogger(__name__)

BUILD_TASK = "metrics.export_jobs.tasks.build_export"
EXPORT_JOB_LOCK = 7_240_020  # first key of one job's build (second key: the job id); next to metrics.locks's keys
ACTIVE_PER_USER = 3  # queued or running jobs one user may have at once
RESEND_AFTER = dt.timedelta(minutes=2)  # a job still queued this long was maybe never enqueued (broker down)
GIVE_UP_AFTER = dt.timedelta(minutes=30)  # longer than every attempt and retry of the task together

# Why a job failed, stored in English (workers write it) and translated when shown (``ExportJob.shown_error``).
FAILED_TO_BUILD = gettext_noop(
    "The export could not be built. Try again; if it fails again, tell the portal's administrators."
)
TOO_LONG = gettext_noop(
    "The export took too long to build and was stopped. Narrow the filters, or use the CSV download."
)
NOT_FINISHED = gettext_noop("The export did not finish. Try again.")
NO_LONGER_ALLOWED = gettext_noop("You may no longer export this report.")


def spec_for(job: ExportJob) -> ExportKindSpec:
    return export_kind(job.kind)


def may_still_export(user, job: ExportJob) -> bool:
    """``user`` may still export the job's report, in the scope it was asked for (role and client unchanged)."""
    if job.kind not in EXPORT_KINDS or not export_kind(job.kind).may_export(user):
        return False
    return job.access_scope == access_scope_of(user)


@transaction.atomic
def export_job_request(*, actor, kind: str, posted: dict) -> ExportJob:
    """Ask for an export of ``kind`` with the report's filters ``posted``: validated, stored, enqueued after commit.

    The same export still queued or running for the same user is returned instead of a second one. Raises
    PermissionDenied when ``actor`` may not export it, ValidationError (with a message) for bad filters or too
    many exports in progress.
    """
    spec = export_kind(kind)
    if not spec.may_export(actor):
        raise PermissionDenied
    parameters = spec.clean_parameters(actor, posted)
    active = ExportJob.objects.for_user(actor).filter(status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING])
    same = active.filter(kind=kind, parameters=parameters, access_scope=access_scope_of(actor)).defer("content").first()
    if same is not None:
        return same
    if active.count() >= ACTIVE_PER_USER:
        raise ValidationError(
            _("You already have %(count)s exports in progress; wait for one to finish.") % {"count": ACTIVE_PER_USER},
            code="too_many",
        )
    now = timezone.now()
    job = ExportJob.objects.create(
        requested_by=actor,
        kind=kind,
        parameters=parameters,
        access_scope=access_scope_of(actor),
        created_at=now,
        expires_at=now + EXPORT_KEPT_FOR,
    )
    transaction.on_commit(lambda: send_task_safely(BUILD_TASK, job.pk))
    return job


def _set(job_id: int, **fields) -> None:
    ExportJob.objects.filter(pk=job_id).update(**fields)


def export_job_fail(*, job_id: int, message: str) -> None:
    """Mark the job failed with ``message`` (words for the user; the details go to the log)."""
    _set(job_id, status=ExportStatus.FAILED, error=message[:300], finished_at=timezone.now())


def export_job_build(*, job_id: int) -> str:
    """Build the job's file (the worker): ``done``, ``failed``, or why nothing was done (``busy``, ``gone``,
    ``already <status>``). Errors other than the user's own (bad filters, lost access, too long) propagate, for
    the task's retries."""
    with session_lock(EXPORT_JOB_LOCK, job_id) as held:
        if not held:
            return "busy"  # another delivery of the same job is building it
        job = ExportJob.objects.filter(pk=job_id).select_related("requested_by").defer("content").first()
        if job is None:
            return "gone"
        if job.status in (ExportStatus.DONE, ExportStatus.FAILED):
            return f"already {job.status}"
        user = job.requested_by
        if not may_still_export(user, job):
            export_job_fail(job_id=job_id, message=NO_LONGER_ALLOWED)
            return "failed"
        _set(job_id, status=ExportStatus.RUNNING, started_at=timezone.now(), progress_done=0, progress_total=0)

        def progress(done: int, total: int) -> None:
            _set(job_id, progress_done=min(done, total), progress_total=total)

        try:
            with translation.override(language_of(user)):  # the file in the requester's language (headers: data)
                built = spec_for(job).build(user, job.parameters, progress)
        except ValidationError as error:
            export_job_fail(job_id=job_id, message=" ".join(error.messages))
            return "failed"
        except SoftTimeLimitExceeded:
            logger.warning("Export job %s (%s) hit the time limit", job_id, job.kind)
            export_job_fail(job_id=job_id, message=TOO_LONG)
            return "failed"
        _set(
            job_id,
            status=ExportStatus.DONE,
            content=built.content,
            size_bytes=len(built.content),
            rows=built.rows,
            filename=built.filename,
            content_type=built.content_type,
            finished_at=timezone.now(),
            error="",
        )
        return "done"


def export_jobs_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The periodic sweep: delete expired jobs and their files, give up on jobs that cannot still be running,
    send again jobs left queued (the broker was down when they were asked for; a second delivery is harmless)."""
    now = now or timezone.now()
    deleted, _ = ExportJob.objects.filter(expires_at__lte=now).delete()
    pending = ExportJob.objects.filter(status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING])
    given_up = pending.filter(created_at__lte=now - GIVE_UP_AFTER).update(
        status=ExportStatus.FAILED, error=NOT_FINISHED, finished_at=now
    )
    resent = 0
    for job_id in pending.filter(status=ExportStatus.QUEUED, created_at__lte=now - RESEND_AFTER).values_list(
        "pk", flat=True
    ):
        resent += send_task_safely(BUILD_TASK, job_id)
    return {"deleted": deleted, "given_up": given_up, "resent": resent}
