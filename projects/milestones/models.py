"""Milestones of a project, their finish-to-finish dependencies and their checklists."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clients.access import ScopedQuerySet
from core.audit import audited
from core.input_ranges import validate_date_in_range
from projects.records import Project


class MilestoneQuerySet(ScopedQuerySet):
    def client_condition(self, user):
        return Q(client_visible=True)


@audited()
class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    sequence = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    baseline_date = models.DateField(
        null=True, blank=True, validators=[validate_date_in_range], help_text=_("Due date in the approved baseline.")
    )
    forecast_date = models.DateField(
        null=True, blank=True, validators=[validate_date_in_range], help_text=_("Current forecast of the due date.")
    )
    actual_date = models.DateField(
        null=True, blank=True, validators=[validate_date_in_range], help_text=_("Date the milestone was completed.")
    )
    duration_days = models.PositiveIntegerField(default=0, help_text=_("Planned duration (from the template), days."))
    weight = models.DecimalField(
        max_digits=6,
        decimal_places=4,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text=_("Share of the project's planned value, 0..1."),
    )
    percent_complete = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text=_("Percent complete, 0..100."),
    )
    client_visible = models.BooleanField(default=True, help_text=_("Shown to the client's users."))
    value_adding = models.BooleanField(default=True, help_text=_("Lean: adds value for the client."))
    completion_override_reason = models.TextField(
        blank=True, help_text=_("Why the milestone was completed with required checklist items open.")
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
