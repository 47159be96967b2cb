import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clients.access import ScopedQuerySet

#: How long a built file is kept (the periodic sweep deletes the job and its bytes after this).
EXPORT_KEPT_FOR = dt.timedelta(hours=24)


class ExportKind(models.TextChoices):
    PORTFOLIO_XLSX = "portfolio_xlsx", _("Portfolio report (Excel)")
    PORTFOLIO_PDF = "portfolio_pdf", _("Portfolio report (PDF)")
    AUDIT_PDF = "audit_pdf", _("Audit trail report (PDF)")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


def access_scope_of(user) -> str:
    """What decides how much of a report ``user`` sees: their role and their client."""
    return f"{user.role}:{user.client_id or ''}"


class ExportJobQuerySet(ScopedQuerySet):
    """A job belongs to the user who asked for it: nobody else sees it, whatever their role."""

    owner_path = "requested_by"


def _expiry() -> dt.datetime:
    return timezone.now() + EXPORT_KEPT_FOR


class ExportJob(models.Model):
    """One export asked for by one user: its validated parameters, its progress and, once built, the file.

    The bytes live in PostgreSQL (``bytea``) so any web process on any host can serve them; the job and its
    file are deleted at ``expires_at`` by the periodic sweep (``metrics.export_jobs.services.export_jobs_sweep``).
    """

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=ExportKind.choices)
    access_scope = models.CharField(
        max_length=60,
        help_text=_(
            "The requester's role and client when asked: the file is built and served only "
            "while they are the same (a changed role or client would read another scope's file)."
        ),
    )
    parameters = models.JSONField(default=dict, blank=True, help_text=_("The report's filters, as validated."))
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    progress_done = models.PositiveIntegerField(default=0, help_text=_("Rows read so far."))
    progress_total = models.PositiveIntegerField(default=0, help_text=_("Rows to read (0: not known yet)."))
    content = models.BinaryField(null=True, editable=False)
    size_bytes = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0, help_text=_("Rows in the built file."))
    filename = models.CharField(max_length=120, blank=True)
    content_type = models.CharField(max_length=120, blank=True)
    error = models.CharField(max_length=300, blank=True, help_text=_("Why it failed, in words for the user."))
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(default=_expiry, db_index=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["requested_by", "status"], name="export_job_owner_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_done__lte=F("progress_total")) | Q(progress_total=0),
                name="export_job_progress_within_total",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(content__isnull=False), name="export_job_done_has_file"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.requested_by_id} ({self.status})"

    @property
    def shown_error(self) -> str:
        """Why it failed, in the reader's language: ``error`` is stored in English (a worker writes it)."""
        return gettext(self.error) if self.error else ""

    @property
    def pending(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        return int(100 * self.progress_done / self.progress_total) if self.progress_total else 0
