from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PeriodicRun(models.Model):
    """A periodic job with an external effect (e-mails, invitations) ran for this period.

    The unique (job, period) pair is claimed in the job's own transaction, before it sends anything: a second
    beat, a duplicate dispatch or a retry after success finds the period taken and sends nothing; a run that
    fails rolls its claim back with everything else, so the retry can still send.
    """

    job = models.CharField(max_length=60)
    period_start = models.DateTimeField(help_text=_("Start (UTC) of the period the job ran for: its ISO week, hour…"))
    ran_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "period_start"], name="periodic_run_once_per_period")]
        ordering = ["-period_start", "job"]

    def __str__(self) -> str:
        return f"{self.job} for {self.period_start:%Y-%m-%d %H:%M} UTC"
