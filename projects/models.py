"""Projects of the CMO's clients and everything recorded against them."""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from clients.access import ScopedQuerySet
from clients.models import Client
from core.audit import audited


class ServiceType(models.TextChoices):
    TECH_TRANSFER = "tech_transfer", "Technology transfer"
    PROCESS_DEVELOPMENT = "process_development", "Process development"
    CLINICAL_SUPPLY = "clinical_supply", "Clinical supply"
    COMMERCIAL_SUPPLY = "commercial_supply", "Commercial supply"
    FILL_FINISH = "fill_finish", "Fill-finish"
    ANALYTICAL = "analytical", "Analytical services"


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class TradeoffLevel(models.TextChoices):
    CONSTRAIN = "constrain", "Constrain"
    OPTIMIZE = "optimize", "Optimize"
    ACCEPT = "accept", "Accept"


class Visibility(models.TextChoices):
    INTERNAL = "internal", "Internal (CMO only)"
    SHARED = "shared", "Shared with the client"


class ProjectQuerySet(ScopedQuerySet):
    client_path = "client"

    def active(self):
        return self.filter(status=ProjectStatus.ACTIVE)


@audited(exclude=["scores_stale", "updated"])
class Project(models.Model):
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="projects")
    code = models.CharField(max_length=30, unique=True, help_text="Short unique code, e.g. AUR-TT-01.")
    name = models.CharField(max_length=200)
    product = models.CharField(max_length=200, blank=True, help_text="Molecule or product being manufactured.")
    service_type = models.CharField(max_length=30, choices=ServiceType.choices)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="managed_projects",
        limit_choices_to={"role": "project_manager"},
    )
    status = models.CharField(max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.PLANNED)
    start_date = models.DateField()
    target_date = models.DateField()
    budget = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
        help_text="Budget at completion (BAC) in the project's currency.",
    )
    contract_value = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
        help_text="Contract value agreed with the client, in the project's currency.",
    )
    currency = models.CharField(max_length=3, default="EUR", help_text="ISO 4217 code.")
    tradeoff_time = models.CharField(max_length=10, choices=TradeoffLevel.choices, default=TradeoffLevel.OPTIMIZE)
    tradeoff_scope = models.CharField(max_length=10, choices=TradeoffLevel.choices, default=TradeoffLevel.ACCEPT)
    tradeoff_quality = models.CharField(max_length=10, choices=TradeoffLevel.choices, default=TradeoffLevel.CONSTRAIN)
    tradeoff_cost = models.CharField(max_length=10, choices=TradeoffLevel.choices, default=TradeoffLevel.OPTIMIZE)
    scores_stale = models.BooleanField(default=True, help_text="Set when inputs changed and no recompute ran yet.")
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(default=timezone.now, editable=False)
    updated = models.DateTimeField(auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                name="project_target_after_start", condition=Q(target_date__gte=models.F("start_date"))
            ),
            models.CheckConstraint(name="project_budget_not_negative", condition=Q(budget__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    @property
    def tradeoff_matrix(self) -> dict[str, str]:
        return {
            "time": self.tradeoff_time,
            "scope": self.tradeoff_scope,
            "quality": self.tradeoff_quality,
            "cost": self.tradeoff_cost,
        }


# --- Templates and checklists ------------------------------------------------


class StaffOnlyQuerySet(ScopedQuerySet):
    client_path = ""
    staff_only = True


class ProjectTemplate(models.Model):
    """The repeatable plan of a service type: milestones with offsets, weights and checklists."""

    name = models.CharField(max_length=200, unique=True)
    service_type = models.CharField(max_length=30, choices=ServiceType.choices)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    objects = StaffOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["service_type", "name"]

    def __str__(self) -> str:
        return self.name


class MilestoneTemplate(models.Model):
    template = models.ForeignKey(ProjectTemplate, on_delete=models.CASCADE, related_name="milestones")
    sequence = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    offset_days = models.PositiveIntegerField(help_text="Days from project start to the milestone's start.")
    duration_days = models.PositiveIntegerField(help_text="Planned duration in days; the milestone is due at its end.")
    weight = models.DecimalField(max_digits=6, decimal_places=4, help_text="Share of planned value (weights sum to 1).")
    value_adding = models.BooleanField(default=True, help_text="Lean: does this step add value for the client?")
    client_visible = models.BooleanField(default=True)

    class Meta:
        ordering = ["template", "sequence"]
        constraints = [models.UniqueConstraint(fields=["template", "sequence"], name="milestone_template_sequence")]

    def __str__(self) -> str:
        return f"{self.sequence}. {self.name}"


class ChecklistItemTemplate(models.Model):
    milestone_template = models.ForeignKey(MilestoneTemplate, on_delete=models.CASCADE, related_name="checklist")
    sequence = models.PositiveIntegerField(default=0)
    text = models.CharField(max_length=300)
    required = models.BooleanField(default=True)

    class Meta:
        ordering = ["milestone_template", "sequence"]

    def __str__(self) -> str:
        return self.text


# --- Milestones ------------------------------------------------------------------


class MilestoneQuerySet(ScopedQuerySet):
    def client_condition(self, user):
        return Q(client_visible=True)


@audited()
class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    sequence = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    baseline_date = models.DateField(null=True, blank=True, help_text="Due date in the approved baseline.")
    forecast_date = models.DateField(null=True, blank=True, help_text="Current forecast of the due date.")
    actual_date = models.DateField(null=True, blank=True, help_text="Date the milestone was completed.")
    duration_days = models.PositiveIntegerField(default=0, help_text="Planned duration (from the template), days.")
    weight = models.DecimalField(
        max_digits=6,
        decimal_places=4,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text="Share of the project's planned value, 0..1.",
    )
    percent_complete = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text="Percent complete, 0..100.",
    )
    client_visible = models.BooleanField(default=True, help_text="Shown to the client's users.")
    value_adding = models.BooleanField(default=True, help_text="Lean: adds value for the client.")
    completion_override_reason = models.TextField(
        blank=True, help_text="Why the milestone was completed with required checklist items open."
    )
    version = models.PositiveIntegerField(default=1)

    objects = MilestoneQuerySet.as_manager()

    class Meta:
        ordering = ["project", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["project", "sequence"], name="milestone_sequence_unique"),
            models.CheckConstraint(
                name="milestone_percent_0_100", condition=Q(percent_complete__gte=0, percent_complete__lte=100)
            ),
            models.CheckConstraint(name="milestone_weight_0_1", condition=Q(weight__gte=0, weight__lte=1)),
            models.CheckConstraint(
                name="milestone_complete_when_actual", condition=Q(actual_date__isnull=True) | Q(percent_complete=100)
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_complete(self) -> bool:
        return self.actual_date is not None

    @property
    def slip_days(self) -> int:
        """Days late against the baseline (actual if complete, else forecast); 0 when on time or unknown."""
        current = self.actual_date or self.forecast_date
        if current is None or self.baseline_date is None:
            return 0
        return max(0, (current - self.baseline_date).days)


@audited()
class MilestoneDependency(models.Model):
    """``successor`` cannot finish before ``predecessor`` (finish-to-finish, no cycles)."""

    predecessor = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="successor_links")
    successor = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="predecessor_links")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor"], name="milestone_dependency_unique"),
            models.CheckConstraint(
                name="milestone_not_own_predecessor", condition=~Q(predecessor=models.F("successor"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor_id} → {self.successor_id}"


class ChecklistItemQuerySet(ScopedQuerySet):
    client_path = "milestone__project__client"

    def client_condition(self, user):
        return Q(milestone__client_visible=True)


@audited()
class ChecklistItem(models.Model):
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="checklist")
    sequence = models.PositiveIntegerField(default=0)
    text = models.CharField(max_length=300)
    required = models.BooleanField(default=True)
    done = models.BooleanField(default=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)

    objects = ChecklistItemQuerySet.as_manager()

    class Meta:
        ordering = ["milestone", "sequence", "pk"]

    def __str__(self) -> str:
        return self.text


# --- Baselines and signatures ---------------------------------------------------


class BaselineStatus(models.TextChoices):
    PROPOSED = "proposed", "Awaiting client signature"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class BaselineQuerySet(ScopedQuerySet):
    pass


@audited()
class Baseline(models.Model):
    """An approved (or proposed) snapshot of every milestone's due date and the budget."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="baselines")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=BaselineStatus.choices, default=BaselineStatus.PROPOSED)
    reason = models.TextField()
    budget = models.DecimalField(max_digits=14, decimal_places=2)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = BaselineQuerySet.as_manager()

    class Meta:
        ordering = ["project", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="baseline_number_unique"),
            models.UniqueConstraint(
                fields=["project"], condition=Q(status="proposed"), name="one_proposed_baseline_per_project"
            ),
        ]

    def __str__(self) -> str:
        return f"Baseline {self.number} of {self.project.code}"

    def signature_content(self) -> dict:
        """What the client approver sees and signs: the client-visible milestones' dates and the budget."""
        return {
            "project": self.project.code,
            "number": self.number,
            "reason": self.reason,
            "budget": str(self.budget),
            "items": [
                {"milestone": item.milestone_name, "date": item.date.isoformat() if item.date else None}
                for item in self.items.all()
                if item.client_visible
            ],
        }


@audited()
class BaselineItem(models.Model):
    baseline = models.ForeignKey(Baseline, on_delete=models.CASCADE, related_name="items")
    milestone = models.ForeignKey(Milestone, null=True, on_delete=models.SET_NULL, related_name="+")
    milestone_name = models.CharField(max_length=200)
    date = models.DateField(null=True)
    client_visible = models.BooleanField(default=True)

    class Meta:
        ordering = ["baseline", "pk"]

    def __str__(self) -> str:
        return f"{self.milestone_name}: {self.date}"


class SignatureMeaning(models.TextChoices):
    APPROVAL = "approval", "Approval"
    REJECTION = "rejection", "Rejection"
    REVIEW = "review", "Review"
    AUTHORSHIP = "authorship", "Authorship"


class SignatureQuerySet(ScopedQuerySet):
    pass


@audited()
class Signature(models.Model):
    """A 21 CFR Part 11 electronic signature: who, when (UTC), meaning, and a hash of what was signed."""

    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signatures")
    printed_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField(default=timezone.now)
    meaning = models.CharField(max_length=12, choices=SignatureMeaning.choices)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="signatures")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    content = models.JSONField(help_text="The record's content as signed (canonical JSON).")
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the canonical content.")

    objects = SignatureQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_at"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.get_meaning_display()} by {self.printed_name} at {self.signed_at:%Y-%m-%d %H:%M} UTC"


# --- The four constraints as records: cost, scope, quality, risk -------------------


class ProjectChildQuerySet(ScopedQuerySet):
    """Records of a project: clients see their own client's, and only shared ones where visibility applies."""


class InternalQuerySet(ProjectChildQuerySet):
    staff_only = True


class SharedQuerySet(ProjectChildQuerySet):
    visibility_field = "visibility"


class CostCategory(models.TextChoices):
    LABOUR = "labour", "Labour"
    MATERIALS = "materials", "Materials"
    EQUIPMENT = "equipment", "Equipment"
    SUBCONTRACT = "subcontract", "Subcontract"
    OTHER = "other", "Other"


@audited()
class CostEntry(models.Model):
    """Internal cost (actual cost, AC). Never shown to client users."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="cost_entries")
    date = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2, help_text="In the project's currency.")
    category = models.CharField(max_length=20, choices=CostCategory.choices)
    description = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    objects = InternalQuerySet.as_manager()

    class Meta:
        ordering = ["project", "-date", "-pk"]
        verbose_name_plural = "cost entries"

    def __str__(self) -> str:
        return f"{self.date} {self.category} {self.amount}"


@audited()
class Invoice(models.Model):
    """An amount invoiced to the client (shared with the client)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invoices")
    number = models.CharField(max_length=40)
    date = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal(0))])
    description = models.CharField(max_length=300, blank=True)

    objects = ProjectChildQuerySet.as_manager()

    class Meta:
        ordering = ["project", "-date"]
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="invoice_number_unique")]

    def __str__(self) -> str:
        return self.number


class ChangeRequestStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Awaiting client decision"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class QualityImpact(models.TextChoices):
    NONE = "none", "None"
    MINOR = "minor", "Minor"
    MAJOR = "major", "Major"
    CRITICAL = "critical", "Critical"


#: The longest schedule impact a change request may carry (ten years each way), checked for page, API and import.
MAX_SCHEDULE_IMPACT_DAYS = 3650


#: The change requests a client user may see: those that were submitted to the client at some point.
CLIENT_SEES_CHANGE_REQUEST = ~Q(status=ChangeRequestStatus.DRAFT) & ~Q(
    status=ChangeRequestStatus.WITHDRAWN, submitted_at__isnull=True
)


class ChangeRequestQuerySet(ScopedQuerySet):
    def client_condition(self, user):
        # Drafts are the CMO's work in progress: client users see a request once it is submitted,
        # so never a draft nor a draft that was withdrawn before it was ever submitted.
        return CLIENT_SEES_CHANGE_REQUEST


@audited()
class ChangeRequest(models.Model):
    """A change of scope, schedule, cost or quality that the client approves with an e-signature."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="change_requests")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    schedule_impact_days = models.IntegerField(
        default=0,
        validators=[MinValueValidator(-MAX_SCHEDULE_IMPACT_DAYS), MaxValueValidator(MAX_SCHEDULE_IMPACT_DAYS)],
        help_text="Days the forecasts of the milestones it moves shift (every open milestone unless some are chosen).",
    )
    moved_milestones = models.ManyToManyField(
        "Milestone",
        blank=True,
        related_name="+",
        help_text="The open milestones the schedule impact moves; none chosen: every open milestone.",
    )
    cost_impact = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal(0), help_text="Added to the budget on approval."
    )
    scope_impact = models.TextField(blank=True, help_text="What changes in the scope, in words.")
    scope_impact_percent = models.DecimalField(
        max_digits=6, decimal_places=2, default=Decimal(0), help_text="Scope change as a percent of the original."
    )
    quality_impact = models.CharField(max_length=10, choices=QualityImpact.choices, default=QualityImpact.NONE)
    quality_impact_text = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=ChangeRequestStatus.choices, default=ChangeRequestStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    objects = ChangeRequestQuerySet.as_manager()

    class Meta:
        ordering = ["project", "-number"]
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="change_request_number_unique")]

    def __str__(self) -> str:
        return f"CR-{self.number}: {self.title}"

    def signature_content(self) -> dict:
        return {
            "project": self.project.code,
            "number": self.number,
            "title": self.title,
            "description": self.description,
            "schedule_impact_days": self.schedule_impact_days,
            "cost_impact": str(self.cost_impact),
            "scope_impact": self.scope_impact,
            "scope_impact_percent": str(self.scope_impact_percent),
            "quality_impact": self.quality_impact,
            "quality_impact_text": self.quality_impact_text,
            **self._moved_content(),
        }

    def moved_milestone_ids(self) -> frozenset[int] | None:
        """The milestones approval moves, or None for every open milestone (the rule: projects.schedule_change)."""
        ids = frozenset(m.pk for m in self.moved_milestones.all())
        return ids or None

    def _moved_content(self) -> dict:
        # Only present when milestones were chosen, so signatures made before the choice existed stay valid.
        chosen = sorted(self.moved_milestones.all(), key=lambda m: (m.sequence, m.pk))
        return {"moved_milestones": [f"{m.pk}: {m.name}" for m in chosen]} if chosen else {}


class BatchOutcome(models.TextChoices):
    PENDING = "pending", "Pending"
    RELEASED = "released", "Released"
    REJECTED = "rejected", "Rejected"


@audited()
class Batch(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="batches")
    number = models.CharField(max_length=40)
    planned_date = models.DateField()
    actual_date = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=BatchOutcome.choices, default=BatchOutcome.PENDING)
    right_first_time = models.BooleanField(
        default=True, help_text="Made without a major or critical deviation and released without rework."
    )

    objects = ProjectChildQuerySet.as_manager()

    class Meta:
        ordering = ["project", "planned_date", "number"]
        verbose_name_plural = "batches"
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="batch_number_unique")]

    def __str__(self) -> str:
        return self.number


class QualityEventKind(models.TextChoices):
    DEVIATION = "deviation", "Deviation"
    OOS = "oos", "Out of specification (OOS)"
    COMPLAINT = "complaint", "Complaint"
    CAPA = "capa", "CAPA"


class Severity(models.TextChoices):
    MINOR = "minor", "Minor"
    MAJOR = "major", "Major"
    CRITICAL = "critical", "Critical"


@audited()
class QualityEvent(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="quality_events")
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.SET_NULL, related_name="quality_events")
    reference = models.CharField(max_length=40, help_text="e.g. DEV-2026-014")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=QualityEventKind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    opened = models.DateField()
    due = models.DateField(null=True, blank=True)
    closed = models.DateField(null=True, blank=True)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL)

    objects = SharedQuerySet.as_manager()

    class Meta:
        ordering = ["project", "-opened"]
        constraints = [
            models.CheckConstraint(
                name="quality_event_closed_after_opened", condition=Q(closed__isnull=True) | Q(closed__gte=F("opened"))
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def is_overdue(self, today) -> bool:
        return self.closed is None and self.due is not None and self.due < today


class RiskStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


@audited()
class Risk(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="risks")
    title = models.CharField(max_length=200)
    probability = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    impact = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    mitigation = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL)
    version = models.PositiveIntegerField(default=1)

    objects = SharedQuerySet.as_manager()

    class Meta:
        ordering = ["project", "-pk"]
        constraints = [
            models.CheckConstraint(name="risk_probability_1_5", condition=Q(probability__gte=1, probability__lte=5)),
            models.CheckConstraint(name="risk_impact_1_5", condition=Q(impact__gte=1, impact__lte=5)),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def exposure(self) -> int:
        """Probability × impact, 1..25."""
        return self.probability * self.impact


class IssueStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


@audited()
class Issue(models.Model):
    """A problem worked on with the client when shared: time to first response and to resolution are measured."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="issues")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=IssueStatus.choices, default=IssueStatus.OPEN)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.SHARED)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True)
    waiting_on = models.CharField(
        max_length=10,
        choices=[("cmo", "CMO"), ("client", "Client")],
        default="cmo",
        help_text="Lean: whose move it is.",
    )

    objects = SharedQuerySet.as_manager()

    class Meta:
        ordering = ["project", "-opened_at"]

    def __str__(self) -> str:
        return self.title


class IssueCommentQuerySet(ScopedQuerySet):
    client_path = "issue__project__client"
    visibility_field = "issue__visibility"


@audited()
class IssueComment(models.Model):
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created = models.DateTimeField(default=timezone.now)

    objects = IssueCommentQuerySet.as_manager()

    class Meta:
        ordering = ["issue", "created", "pk"]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.issue}"


class NotificationQuerySet(ScopedQuerySet):
    """A notification is its recipient's only, whatever the role."""

    owner_path = "recipient"


class Notification(models.Model):
    """An in-app notification; e-mailed after commit by a worker (``emailed_at`` set once sent)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.text
