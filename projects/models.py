"""Projects of the CMO's clients and everything recorded against them."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
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
