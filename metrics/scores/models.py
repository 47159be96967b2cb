"""Scores: the versioned scoring policy, score snapshots per lens and 15-minute bucket, tradeoff proposals."""

import dataclasses
from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clients.access import ScopedQuerySet
from core.audit import audited
from metrics import scoring

StrOrPromise = str | Promise

POLICY_PARAMETERS = tuple(f.name for f in dataclasses.fields(scoring.ScoringPolicy) if f.name != "version")

_WEIGHT_HELP = _("Relative weight of this stress in the risk score; the weights need not sum to 1.")
_DEVIATION_POINTS_HELP = _(
    "Points of one open deviation (and of an approved change’s quality impact) of this severity."
)
_MULTIPLIER_HELP = _("How strongly stress on a dimension at this level lowers the tradeoff score (0–1).")
# Label and help text (with units) of every policy parameter, as leadership reads them (docs/scoring.md).
POLICY_PARAMETER_TEXTS: dict[str, tuple[StrOrPromise, StrOrPromise]] = {
    "weight_time": (_("Weight of time"), _WEIGHT_HELP),
    "weight_cost": (_("Weight of cost"), _WEIGHT_HELP),
    "weight_scope": (_("Weight of scope"), _WEIGHT_HELP),
    "weight_quality": (_("Weight of quality"), _WEIGHT_HELP),
    "weight_satisfaction": (_("Weight of client satisfaction"), _WEIGHT_HELP),
    "weight_risk_register": (_("Weight of the risk register"), _WEIGHT_HELP),
    "amber_threshold": (_("Amber from risk score"), _("Risk score (0–100) from which a project is amber.")),
    "red_threshold": (_("Red from risk score"), _("Risk score (0–100) from which a project is red.")),
    "slip_days_for_full_stress": (
        _("Slip for full time stress (days)"),
        _("Value-weighted mean milestone slip, in calendar days, at which time stress reaches 1."),
    ),
    "spi_floor": (_("SPI floor"), _("Schedule performance index (0–1) at or below which time stress is 1.")),
    "cpi_floor": (_("CPI floor"), _("Cost performance index (0–1) at or below which cost stress is 1.")),
    "budget_growth_for_full_stress": (
        _("Budget growth for full cost stress (fraction)"),
        _("Growth of the budget over the original one, as a fraction (0.20 = 20 %), at which cost stress is 1."),
    ),
    "scope_change_percent_for_full_stress": (
        _("Scope change for full scope stress (%)"),
        _("Approved scope change, in percent either way, at which scope stress reaches 1."),
    ),
    "pending_change_request_stress": (
        _("Scope stress per pending change request"),
        _("Scope stress (0–1) that each change request waiting for the client’s decision adds."),
    ),
    "pending_change_request_stress_cap": (
        _("Cap on pending change request stress"),
        _("The most scope stress (0–1) that pending change requests add together."),
    ),
    "rft_floor": (
        _("Right-first-time floor"),
        _("Share of batches right first time (0–1) at or below which quality stress is 1."),
    ),
    "severity_points_minor": (_("Points per minor deviation"), _DEVIATION_POINTS_HELP),
    "severity_points_major": (_("Points per major deviation"), _DEVIATION_POINTS_HELP),
    "severity_points_critical": (_("Points per critical deviation"), _DEVIATION_POINTS_HELP),
    "deviation_points_for_full_stress": (
        _("Deviation points for full quality stress"),
        _("Sum of the open deviations’ points at which quality stress reaches 1."),
    ),
    "critical_deviation_min_stress": (
        _("Quality stress with a critical deviation open"),
        _("Quality stress (0–1) is at least this while any critical deviation is open."),
    ),
    "overdue_capa_stress": (
        _("Quality stress per overdue CAPA"),
        _("Quality stress (0–1) that each overdue CAPA adds."),
    ),
    "quality_impact_points_for_full_stress": (
        _("Change quality impact points for full stress"),
        _("Sum of the points of approved changes’ quality impacts at which quality stress reaches 1."),
    ),
    "nps_drop_for_full_stress": (
        _("NPS drop for full satisfaction stress (points)"),
        _("Fall of NPS from the quarter before, in NPS points (scale −100 to 100), at which satisfaction stress is 1."),
    ),
    "exposure_for_full_stress": (
        _("Risk exposure for full stress"),
        _("Sum of the open risks’ exposure (probability × impact, 1–25 each) at which risk register stress is 1."),
    ),
    "multiplier_constrain": (_("Tradeoff multiplier: constrain"), _MULTIPLIER_HELP),
    "multiplier_optimize": (_("Tradeoff multiplier: optimize"), _MULTIPLIER_HELP),
    "multiplier_accept": (_("Tradeoff multiplier: accept"), _MULTIPLIER_HELP),
}


class ScoringPolicyQuerySet(models.QuerySet):
    def current(self) -> "ScoringPolicy":
        policy = self.order_by("-version").first()
        if policy is None:
            policy = ScoringPolicy.objects.create(version=1, note="Default policy (docs/scoring.md)")
        return policy


@audited()
class ScoringPolicy(models.Model):
    """A version of the scoring weights and thresholds. Never edited: a change is a new version."""

    version = models.PositiveIntegerField(unique=True)
    parameters = models.JSONField(default=dict, help_text=_("Overrides of the defaults in metrics/scoring.py."))
    note = models.TextField(blank=True, help_text=_("Why this version was made."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScoringPolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        verbose_name_plural = _("scoring policies")
        triggers = [
            pgtrigger.Protect(name="policy_versions_are_immutable", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"Scoring policy v{self.version}"

    def as_policy(self) -> scoring.ScoringPolicy:
        """The pure policy: defaults overridden by this version's parameters."""
        values = {k: Decimal(str(v)) for k, v in self.parameters.items() if k in POLICY_PARAMETERS}
        return scoring.ScoringPolicy(version=self.version, **values)

    def value(self, name: str) -> Decimal:
        return getattr(self.as_policy(), name)


class ScoreLens(models.TextChoices):
    """Whose picture a score is: the CMO's (every record) or the client's (only what the client may see)."""

    CMO = "cmo", _("CMO (all records)")
    CLIENT = "client", _("Client (shared records only)")


def lens_for(user) -> str:
    """The lens ``user`` reads scores through: staff see the CMO's full score, client users the client lens."""
    from clients import access

    return ScoreLens.CMO if access.can_see_internal(user) else ScoreLens.CLIENT


class ScoreSnapshotQuerySet(ScopedQuerySet):
    def always_condition(self, user):
        """Through the user's lens: a client never reads the CMO's full score, staff read it."""
        return Q(lens=lens_for(user))


class Rag(models.TextChoices):
    GREEN = "green", _("Green")
    AMBER = "amber", _("Amber")
    RED = "red", _("Red")


RAG_ORDER = {Rag.GREEN: 0, Rag.AMBER: 1, Rag.RED: 2}


class ScoreSnapshot(models.Model):
    """A project's scores for one period bucket (15 minutes): a rerun replaces, never duplicates."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="score_snapshots")
    lens = models.CharField(
        max_length=6,
        choices=ScoreLens.choices,
        default=ScoreLens.CMO,
        help_text=_("cmo: computed from every record; client: only from what the client may see."),
    )
    bucket = models.DateTimeField(help_text=_("Start of the 15-minute period (UTC)."))
    computed_at = models.DateTimeField(default=timezone.now)
    as_of = models.DateField()
    policy_version = models.PositiveIntegerField()
    risk_score = models.DecimalField(max_digits=5, decimal_places=2, help_text=_("0..100, higher is worse."))
    tradeoff_score = models.DecimalField(max_digits=5, decimal_places=2, help_text=_("0..100, higher is better."))
    rag = models.CharField(max_length=5, choices=Rag.choices)
    stress_time = models.DecimalField(max_digits=4, decimal_places=3)
    stress_cost = models.DecimalField(max_digits=4, decimal_places=3)
    stress_scope = models.DecimalField(max_digits=4, decimal_places=3)
    stress_quality = models.DecimalField(max_digits=4, decimal_places=3)
    stress_satisfaction = models.DecimalField(max_digits=4, decimal_places=3)
    stress_risk_register = models.DecimalField(max_digits=4, decimal_places=3)
    # EV / PV and EV / AC: money of 14 digits over a cent can reach 10^14, so the indices need 15 + 3 digits.
    schedule_performance_index = models.DecimalField(max_digits=18, decimal_places=3, null=True)
    cost_performance_index = models.DecimalField(max_digits=18, decimal_places=3, null=True)
    result = models.JSONField(help_text=_("The full result: earned value, stresses, ranked factors."))
    inputs = models.JSONField(help_text=_("The input figures the scores were computed from."))

    objects = ScoreSnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["project", "-bucket"]
        constraints = [
            models.UniqueConstraint(fields=["project", "lens", "bucket"], name="one_snapshot_per_lens_and_bucket")
        ]
        indexes = [models.Index(fields=["project", "lens", "-bucket"])]

    def __str__(self) -> str:
        return f"{self.project_id} @ {self.bucket:%Y-%m-%d %H:%M}: risk {self.risk_score}, {self.rag}"


class CurrentScoreQuerySet(ScopedQuerySet):
    def always_condition(self, user):
        return Q(lens=lens_for(user))


class CurrentScore(models.Model):
    """The newest snapshot of each project and lens, so a read never scans the history (issue 13).

    Written by the recompute in the same statement as the snapshot it points to, and only forward: a
    computation that read its inputs earlier never replaces one that read them later (docs/decisions.md,
    "The newest computation wins"). ``rag`` and ``risk_score`` are copied for the list filters, sorts and counts.
    """

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="current_scores")
    lens = models.CharField(max_length=6, choices=ScoreLens.choices)
    snapshot = models.OneToOneField(ScoreSnapshot, on_delete=models.CASCADE, related_name="current")
    bucket = models.DateTimeField()
    computed_at = models.DateTimeField()
    rag = models.CharField(max_length=5, choices=Rag.choices)
    risk_score = models.DecimalField(max_digits=5, decimal_places=2)

    objects = CurrentScoreQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "lens"], name="one_current_score_per_lens")]
        indexes = [models.Index(fields=["lens", "rag"])]

    def __str__(self) -> str:
        return f"{self.project_id} ({self.lens}): snapshot {self.snapshot_id}"


class TradeoffProposalQuerySet(ScopedQuerySet):
    pass


@audited()
class TradeoffProposal(models.Model):
    """A PM's proposal for the client's tradeoff matrix; a client approver accepts or declines it."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="tradeoff_proposals")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    time = models.CharField(max_length=10)
    scope = models.CharField(max_length=10)
    quality = models.CharField(max_length=10)
    cost = models.CharField(max_length=10)
    reason = models.TextField()
    status = models.CharField(
        max_length=10,
        choices=[("pending", "Pending"), ("accepted", "Accepted"), ("declined", "Declined")],
        default="pending",
    )

    objects = TradeoffProposalQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_at"]

    def __str__(self) -> str:
        return f"Tradeoff proposal for {self.project_id}"

    @property
    def matrix(self) -> dict[str, str]:
        return {"time": self.time, "scope": self.scope, "quality": self.quality, "cost": self.cost}
