"""Lean roll-up snapshots (counters per project, lens and quarter) and the clients' KPI targets (audited)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.access import ScopedQuerySet
from core.audit import audited
from metrics.scores.models import ScoreLens


class LeanSnapshotQuerySet(ScopedQuerySet):
    """Lean figures are CMO portfolio reports: staff only."""

    staff_only = True


class LeanSnapshot(models.Model):
    """Nightly roll-up of one project's Lean counters for one calendar quarter (docs/lean.md).

    Counters and sums, not rates: any grouping (client, PM, service type) adds them up before dividing.
    """

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="lean_snapshots")
    lens = models.CharField(
        max_length=6,
        choices=ScoreLens.choices,
        default=ScoreLens.CMO,
        help_text=_("cmo: every milestone (staff reports); client: client-visible milestones (agreed KPIs)."),
    )
    quarter = models.DateField(help_text=_("First day of the calendar quarter."))
    computed_at = models.DateTimeField(default=timezone.now)
    milestones_completed = models.PositiveIntegerField(default=0, help_text=_("Completed with a baseline date."))
    milestones_on_time = models.PositiveIntegerField(default=0)
    batches_completed = models.PositiveIntegerField(default=0, help_text=_("Released or rejected."))
    batches_on_time = models.PositiveIntegerField(default=0)
    batches_right_first_time = models.PositiveIntegerField(default=0)
    batches_otif = models.PositiveIntegerField(default=0)
    phases_completed = models.PositiveIntegerField(default=0)
    phase_days = models.PositiveIntegerField(default=0, help_text=_("Σ actual cycle time of completed phases, days."))
    value_adding_days = models.PositiveIntegerField(default=0)
    planned_phases = models.PositiveIntegerField(default=0, help_text=_("Completed phases with a planned duration."))
    planned_phase_days = models.PositiveIntegerField(default=0, help_text=_("Σ their planned duration, days."))
    planned_phase_actual_days = models.PositiveIntegerField(default=0, help_text=_("Σ their actual cycle time, days."))
    projects_finished = models.PositiveIntegerField(default=0, help_text=_("Final milestone completed this quarter."))
    lead_time_days = models.PositiveIntegerField(default=0, help_text=_("Σ lead time of those projects, days."))
    client_wait_days = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))
    cmo_wait_days = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))
    change_request_client_wait_days = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))
    issue_client_wait_days = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))
    issues_responded = models.PositiveIntegerField(default=0)
    issue_response_hours = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    issues_resolved = models.PositiveIntegerField(default=0)
    issue_resolution_hours = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))

    objects = LeanSnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["project", "-quarter"]
        constraints = [
            models.UniqueConstraint(fields=["project", "lens", "quarter"], name="one_lean_snapshot_per_lens_quarter")
        ]
        indexes = [models.Index(fields=["quarter"])]

    def __str__(self) -> str:
        return f"Lean {self.project_id} {self.quarter:%Y-%m}"


class KpiMetric(models.TextChoices):
    OTIF = "otif", _("OTIF batches (%)")
    RIGHT_FIRST_TIME = "right_first_time", _("Right first time (%)")
    ON_TIME_MILESTONES = "on_time_milestones", _("On-time milestones (%)")
    ISSUE_RESPONSE_HOURS = "issue_response_hours", _("Issue first response (hours)")
    CSAT = "csat", _("CSAT (1–5)")


class KpiStatus(models.TextChoices):
    NO_DATA = "no_data", _("No data yet this quarter")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")


class ClientKpiTargetQuerySet(ScopedQuerySet):
    client_path = "client"


@audited(exclude=["status", "value", "evaluated_at", "breach_notified_quarter"])  # nightly evaluation: not audited
class ClientKpiTarget(models.Model):
    """A target agreed with a client (e.g. OTIF ≥ 95 %), evaluated nightly on the quarter to date."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="kpi_targets")
    metric = models.CharField(max_length=30, choices=KpiMetric.choices)
    target = models.DecimalField(max_digits=8, decimal_places=2)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=KpiStatus.choices, default=KpiStatus.NO_DATA)
    value = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    breach_notified_quarter = models.DateField(
        null=True, blank=True, help_text=_("Quarter of the last breach notification (one per quarter).")
    )

    objects = ClientKpiTargetQuerySet.as_manager()

    class Meta:
        ordering = ["client", "metric"]
        constraints = [models.UniqueConstraint(fields=["client", "metric"], name="one_kpi_target_per_client_metric")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.metric} {self.target}"
