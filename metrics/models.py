"""Scores (snapshots and the versioned policy that produced them)."""

import dataclasses
from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from clients.access import ScopedQuerySet
from core.audit import audited
from metrics import scoring

POLICY_PARAMETERS = tuple(f.name for f in dataclasses.fields(scoring.ScoringPolicy) if f.name != "version")

_WEIGHT_HELP = "Relative weight of this stress in the risk score; the weights need not sum to 1."
_DEVIATION_POINTS_HELP = "Points of one open deviation (and of an approved change’s quality impact) of this severity."
_MULTIPLIER_HELP = "How strongly stress on a dimension at this level lowers the tradeoff score (0–1)."
# Label and help text (with units) of every policy parameter, as leadership reads them (docs/scoring.md).
POLICY_PARAMETER_TEXTS: dict[str, tuple[str, str]] = {
    "weight_time": ("Weight of time", _WEIGHT_HELP),
    "weight_cost": ("Weight of cost", _WEIGHT_HELP),
    "weight_scope": ("Weight of scope", _WEIGHT_HELP),
    "weight_quality": ("Weight of quality", _WEIGHT_HELP),
    "weight_satisfaction": ("Weight of client satisfaction", _WEIGHT_HELP),
    "weight_risk_register": ("Weight of the risk register", _WEIGHT_HELP),
    "amber_threshold": ("Amber from risk score", "Risk score (0–100) from which a project is amber."),
    "red_threshold": ("Red from risk score", "Risk score (0–100) from which a project is red."),
    "slip_days_for_full_stress": (
        "Slip for full time stress (days)",
        "Value-weighted mean milestone slip, in calendar days, at which time stress reaches 1.",
    ),
    "spi_floor": ("SPI floor", "Schedule performance index (0–1) at or below which time stress is 1."),
    "cpi_floor": ("CPI floor", "Cost performance index (0–1) at or below which cost stress is 1."),
    "budget_growth_for_full_stress": (
        "Budget growth for full cost stress (fraction)",
        "Growth of the budget over the original one, as a fraction (0.20 = 20 %), at which cost stress is 1.",
    ),
    "scope_change_percent_for_full_stress": (
        "Scope change for full scope stress (%)",
        "Approved scope change, in percent either way, at which scope stress reaches 1.",
    ),
    "pending_change_request_stress": (
        "Scope stress per pending change request",
        "Scope stress (0–1) that each change request waiting for the client’s decision adds.",
    ),
    "pending_change_request_stress_cap": (
        "Cap on pending change request stress",
        "The most scope stress (0–1) that pending change requests add together.",
    ),
    "rft_floor": (
        "Right-first-time floor",
        "Share of batches right first time (0–1) at or below which quality stress is 1.",
    ),
    "severity_points_minor": ("Points per minor deviation", _DEVIATION_POINTS_HELP),
    "severity_points_major": ("Points per major deviation", _DEVIATION_POINTS_HELP),
    "severity_points_critical": ("Points per critical deviation", _DEVIATION_POINTS_HELP),
    "deviation_points_for_full_stress": (
        "Deviation points for full quality stress",
        "Sum of the open deviations’ points at which quality stress reaches 1.",
    ),
    "critical_deviation_min_stress": (
        "Quality stress with a critical deviation open",
        "Quality stress (0–1) is at least this while any critical deviation is open.",
    ),
    "overdue_capa_stress": ("Quality stress per overdue CAPA", "Quality stress (0–1) that each overdue CAPA adds."),
    "quality_impact_points_for_full_stress": (
        "Change quality impact points for full stress",
        "Sum of the points of approved changes’ quality impacts at which quality stress reaches 1.",
    ),
    "nps_drop_for_full_stress": (
        "NPS drop for full satisfaction stress (points)",
        "Fall of NPS from the quarter before, in NPS points (scale −100 to 100), at which satisfaction stress is 1.",
    ),
    "exposure_for_full_stress": (
        "Risk exposure for full stress",
        "Sum of the open risks’ exposure (probability × impact, 1–25 each) at which risk register stress is 1.",
    ),
    "multiplier_constrain": ("Tradeoff multiplier: constrain", _MULTIPLIER_HELP),
    "multiplier_optimize": ("Tradeoff multiplier: optimize", _MULTIPLIER_HELP),
    "multiplier_accept": ("Tradeoff multiplier: accept", _MULTIPLIER_HELP),
}


class ScoringPolicyQuerySet(models.QuerySet):
    def current(self) -> "ScoringPolicy":
        policy = self.order_by("-version").first()
        if policy is None:
            policy = ScoringPolicy.objects.create(version=1, note="Default policy (docs/scoring.md)")
        return policy


class ScoringPolicy(models.Model):
    """A version of the scoring weights and thresholds. Never edited: a change is a new version."""

    version = models.PositiveIntegerField(unique=True)
    parameters = models.JSONField(default=dict, help_text="Overrides of the defaults in metrics/scoring.py.")
    note = models.TextField(blank=True, help_text="Why this version was made.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScoringPolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        verbose_name_plural = "scoring policies"
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

    CMO = "cmo", "CMO (all records)"
    CLIENT = "client", "Client (shared records only)"


def lens_for(user) -> str:
    """The lens ``user`` reads scores through: staff see the CMO's full score, client users the client lens."""
    from clients import access

    return ScoreLens.CMO if access.can_see_internal(user) else ScoreLens.CLIENT


class ScoreSnapshotQuerySet(ScopedQuerySet):
    def always_condition(self, user):
        """Through the user's lens: a client never reads the CMO's full score, staff read it."""
        return Q(lens=lens_for(user))

    def latest_per_project(self):
        """The newest snapshot of each project (PostgreSQL DISTINCT ON)."""
        return self.order_by("project_id", "-bucket").distinct("project_id")


class Rag(models.TextChoices):
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"


RAG_ORDER = {Rag.GREEN: 0, Rag.AMBER: 1, Rag.RED: 2}


class ScoreSnapshot(models.Model):
    """A project's scores for one period bucket (15 minutes): a rerun replaces, never duplicates."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="score_snapshots")
    lens = models.CharField(
        max_length=6,
        choices=ScoreLens.choices,
        default=ScoreLens.CMO,
        help_text="cmo: computed from every record; client: only from what the client may see.",
    )
    bucket = models.DateTimeField(help_text="Start of the 15-minute period (UTC).")
    computed_at = models.DateTimeField(default=timezone.now)
    as_of = models.DateField()
    policy_version = models.PositiveIntegerField()
    risk_score = models.DecimalField(max_digits=5, decimal_places=2, help_text="0..100, higher is worse.")
    tradeoff_score = models.DecimalField(max_digits=5, decimal_places=2, help_text="0..100, higher is better.")
    rag = models.CharField(max_length=5, choices=Rag.choices)
    stress_time = models.DecimalField(max_digits=4, decimal_places=3)
    stress_cost = models.DecimalField(max_digits=4, decimal_places=3)
    stress_scope = models.DecimalField(max_digits=4, decimal_places=3)
    stress_quality = models.DecimalField(max_digits=4, decimal_places=3)
    stress_satisfaction = models.DecimalField(max_digits=4, decimal_places=3)
    stress_risk_register = models.DecimalField(max_digits=4, decimal_places=3)
    schedule_performance_index = models.DecimalField(max_digits=8, decimal_places=3, null=True)
    cost_performance_index = models.DecimalField(max_digits=8, decimal_places=3, null=True)
    result = models.JSONField(help_text="The full result: earned value, stresses, ranked factors.")
    inputs = models.JSONField(help_text="The input figures the scores were computed from.")

    objects = ScoreSnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["project", "-bucket"]
        constraints = [
            models.UniqueConstraint(fields=["project", "lens", "bucket"], name="one_snapshot_per_lens_and_bucket")
        ]
        indexes = [models.Index(fields=["project", "lens", "-bucket"])]

    def __str__(self) -> str:
        return f"{self.project_id} @ {self.bucket:%Y-%m-%d %H:%M}: risk {self.risk_score}, {self.rag}"


class TradeoffProposalQuerySet(ScopedQuerySet):
    pass


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


# --- Satisfaction surveys ------------------------------------------------------------------


class SurveyTrigger(models.TextChoices):
    MILESTONE = "milestone", "Milestone completed"
    QUARTERLY = "quarterly", "Quarterly check-in"


class SurveyRoundQuerySet(ScopedQuerySet):
    pass


class SurveyRound(models.Model):
    """One survey of a project's client users: after a client-facing milestone, or quarterly on long projects."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="survey_rounds")
    trigger = models.CharField(max_length=10, choices=SurveyTrigger.choices)
    milestone = models.ForeignKey(
        "projects.Milestone", null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_rounds"
    )
    quarter = models.DateField(help_text="First day of the calendar quarter the round reports on.")
    opened_at = models.DateTimeField(default=timezone.now)

    objects = SurveyRoundQuerySet.as_manager()

    class Meta:
        ordering = ["project", "-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone"], condition=models.Q(milestone__isnull=False), name="one_survey_round_per_milestone"
            )
        ]
        indexes = [models.Index(fields=["project", "-opened_at"])]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} survey of {self.project_id} ({self.opened_at:%Y-%m-%d})"


class InvitationStatus(models.TextChoices):
    OPEN = "open", "Open"
    ANSWERED = "answered", "Answered"
    EXPIRED = "expired", "Expired"


class SurveyInvitationQuerySet(ScopedQuerySet):
    def client_condition(self, user):
        """Client users see only the invitations addressed to them; CMO staff see all (response rates)."""
        return Q(recipient_id=user.pk)


class SurveyInvitation(models.Model):
    """A client user's invitation to answer a round, once; reminded after 7 days, expired after 30."""

    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="invitations")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="survey_invitations")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_invitations")
    status = models.CharField(max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.OPEN)
    sent_at = models.DateTimeField(default=timezone.now)
    reminded_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = SurveyInvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["round", "recipient"], name="one_invitation_per_round_and_user"),
            models.CheckConstraint(
                name="invitation_answered_when_answered_at",
                condition=models.Q(status="answered", answered_at__isnull=False)
                | (~models.Q(status="answered") & models.Q(answered_at__isnull=True)),
            ),
            models.CheckConstraint(
                name="invitation_expires_after_sent", condition=models.Q(expires_at__gt=F("sent_at"))
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"]), models.Index(fields=["recipient", "status"])]

    def __str__(self) -> str:
        return f"Survey invitation {self.pk} for {self.recipient_id} ({self.status})"


class SurveyResponseQuerySet(ScopedQuerySet):
    """A client sees its own satisfaction history (all of its users' answers); staff see every client's."""


CSAT_FIELDS = ("csat_communication", "csat_responsiveness", "csat_quality", "csat_schedule", "csat_overall")


def _csat_field(label: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)], help_text=f"{label}, 1 (very poor) .. 5 (excellent)."
    )


@audited()
class SurveyResponse(models.Model):
    """The answer to one invitation: CSAT 1–5 on five aspects, NPS 0–10 and a comment."""

    invitation = models.OneToOneField(SurveyInvitation, on_delete=models.PROTECT, related_name="response")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="survey_responses")
    respondent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    quarter = models.DateField(help_text="The round's quarter (first day).")
    answered_at = models.DateTimeField(default=timezone.now)
    csat_communication = _csat_field("Communication")
    csat_responsiveness = _csat_field("Responsiveness")
    csat_quality = _csat_field("Quality")
    csat_schedule = _csat_field("Schedule")
    csat_overall = _csat_field("Overall satisfaction")
    nps = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(10)], help_text="Likelihood to recommend, 0..10."
    )
    comment = models.TextField(blank=True)
    issue = models.ForeignKey(
        "projects.Issue",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The shared issue opened for a detractor or a CSAT of 1–2.",
    )

    objects = SurveyResponseQuerySet.as_manager()

    class Meta:
        ordering = ["-answered_at", "-pk"]
        constraints = [
            models.CheckConstraint(name="survey_nps_0_10", condition=models.Q(nps__gte=0, nps__lte=10)),
            *[
                models.CheckConstraint(
                    name=f"survey_{name}_1_5", condition=models.Q(**{f"{name}__gte": 1, f"{name}__lte": 5})
                )
                for name in CSAT_FIELDS
            ],
        ]
        indexes = [models.Index(fields=["project", "quarter"])]

    def __str__(self) -> str:
        return f"Survey response {self.pk}: NPS {self.nps}, CSAT {self.csat_overall}"


# --- Lean roll-up and client KPI targets ----------------------------------------------------


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
        help_text="cmo: every milestone (staff reports); client: client-visible milestones (agreed KPIs).",
    )
    quarter = models.DateField(help_text="First day of the calendar quarter.")
    computed_at = models.DateTimeField(default=timezone.now)
    milestones_completed = models.PositiveIntegerField(default=0, help_text="Completed with a baseline date.")
    milestones_on_time = models.PositiveIntegerField(default=0)
    batches_completed = models.PositiveIntegerField(default=0, help_text="Released or rejected.")
    batches_on_time = models.PositiveIntegerField(default=0)
    batches_right_first_time = models.PositiveIntegerField(default=0)
    batches_otif = models.PositiveIntegerField(default=0)
    phases_completed = models.PositiveIntegerField(default=0)
    phase_days = models.PositiveIntegerField(default=0, help_text="Σ actual cycle time of completed phases, days.")
    value_adding_days = models.PositiveIntegerField(default=0)
    planned_phases = models.PositiveIntegerField(default=0, help_text="Completed phases with a planned duration.")
    planned_phase_days = models.PositiveIntegerField(default=0, help_text="Σ their planned duration, days.")
    planned_phase_actual_days = models.PositiveIntegerField(default=0, help_text="Σ their actual cycle time, days.")
    projects_finished = models.PositiveIntegerField(default=0, help_text="Final milestone completed this quarter.")
    lead_time_days = models.PositiveIntegerField(default=0, help_text="Σ lead time of those projects, days.")
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
    OTIF = "otif", "OTIF batches (%)"
    RIGHT_FIRST_TIME = "right_first_time", "Right first time (%)"
    ON_TIME_MILESTONES = "on_time_milestones", "On-time milestones (%)"
    ISSUE_RESPONSE_HOURS = "issue_response_hours", "Issue first response (hours)"
    CSAT = "csat", "CSAT (1–5)"


class KpiStatus(models.TextChoices):
    NO_DATA = "no_data", "No data yet this quarter"
    MET = "met", "Met"
    BREACHED = "breached", "Breached"


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
        null=True, blank=True, help_text="Quarter of the last breach notification (one per quarter)."
    )

    objects = ClientKpiTargetQuerySet.as_manager()

    class Meta:
        ordering = ["client", "metric"]
        constraints = [models.UniqueConstraint(fields=["client", "metric"], name="one_kpi_target_per_client_metric")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.metric} {self.target}"
