"""Projects of the CMO's clients and everything recorded against them."""

from decimal import Decimal

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from clients.access import scope_queryset
from clients.models import Client


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


class ProjectQuerySet(models.QuerySet):
    def for_user(self, user):
        return scope_queryset(self, user, client_path="client")

    def active(self):
        return self.filter(status=ProjectStatus.ACTIVE)


def audited(**extra):
    """Track inserts, updates and deletes in an append-only event table (GxP audit trail).

    Events are written by PostgreSQL triggers, so ``QuerySet.update()``, ``bulk_update``
    and raw SQL are captured too; UPDATE, DELETE and TRUNCATE on the event table fail.
    """
    return pghistory.track(
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
        append_only=True,
        meta={
            "triggers": [
                pgtrigger.Trigger(
                    name="no_truncate",
                    operation=pgtrigger.Truncate,
                    level=pgtrigger.Statement,
                    when=pgtrigger.Before,
                    # The test suite's flush between transactional tests sets cmo.test_flush
                    # on its own session (tests/conftest.py); nothing else does.
                    func=(
                        "IF current_setting('cmo.test_flush', true) = 'on' THEN RETURN NULL; END IF; "
                        "RAISE EXCEPTION 'The audit trail is append-only: TRUNCATE is refused'; RETURN NULL;"
                    ),
                ),
            ]
        },
        **extra,
    )


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


class StaffOnlyQuerySet(models.QuerySet):
    def for_user(self, user):
        return scope_queryset(self, user, client_path="", staff_only=True)


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


class MilestoneQuerySet(models.QuerySet):
    def for_user(self, user):
        return scope_queryset(self, user, client_path="project__client", client_condition=Q(client_visible=True))


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


class ChecklistItemQuerySet(models.QuerySet):
    def for_user(self, user):
        return scope_queryset(
            self, user, client_path="milestone__project__client", client_condition=Q(milestone__client_visible=True)
        )


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


class BaselineQuerySet(models.QuerySet):
    def for_user(self, user):
        return scope_queryset(self, user, client_path="project__client")


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
        return {
            "project": self.project.code,
            "number": self.number,
            "reason": self.reason,
            "budget": str(self.budget),
            "items": [
                {"milestone": item.milestone_name, "date": item.date.isoformat() if item.date else None}
                for item in self.items.all()
            ],
        }


@audited()
class BaselineItem(models.Model):
    baseline = models.ForeignKey(Baseline, on_delete=models.CASCADE, related_name="items")
    milestone = models.ForeignKey(Milestone, null=True, on_delete=models.SET_NULL, related_name="+")
    milestone_name = models.CharField(max_length=200)
    date = models.DateField(null=True)

    class Meta:
        ordering = ["baseline", "pk"]

    def __str__(self) -> str:
        return f"{self.milestone_name}: {self.date}"


class SignatureMeaning(models.TextChoices):
    APPROVAL = "approval", "Approval"
    REJECTION = "rejection", "Rejection"
    REVIEW = "review", "Review"
    AUTHORSHIP = "authorship", "Authorship"


class SignatureQuerySet(models.QuerySet):
    def for_user(self, user):
        return scope_queryset(self, user, client_path="project__client")


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
