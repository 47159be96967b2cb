"""Project templates: the repeatable plan of a service type (milestones, weights, checklists)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from clients.access import ScopedQuerySet
from core.audit import audited
from projects.records import ServiceType


class StaffOnlyQuerySet(ScopedQuerySet):
    client_path = ""
    staff_only = True


@audited()
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


@audited()
class MilestoneTemplate(models.Model):
    template = models.ForeignKey(ProjectTemplate, on_delete=models.CASCADE, related_name="milestones")
    sequence = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    offset_days = models.PositiveIntegerField(help_text=_("Days from project start to the milestone's start."))
    duration_days = models.PositiveIntegerField(
        help_text=_("Planned duration in days; the milestone is due at its end.")
    )
    weight = models.DecimalField(
        max_digits=6, decimal_places=4, help_text=_("Share of planned value (weights sum to 1).")
    )
    value_adding = models.BooleanField(default=True, help_text=_("Lean: does this step add value for the client?"))
    client_visible = models.BooleanField(default=True)

    class Meta:
        ordering = ["template", "sequence"]
        constraints = [models.UniqueConstraint(fields=["template", "sequence"], name="milestone_template_sequence")]

    def __str__(self) -> str:
        return f"{self.sequence}. {self.name}"


@audited()
class ChecklistItemTemplate(models.Model):
    milestone_template = models.ForeignKey(MilestoneTemplate, on_delete=models.CASCADE, related_name="checklist")
    sequence = models.PositiveIntegerField(default=0)
    text = models.CharField(max_length=300)
    required = models.BooleanField(default=True)

    class Meta:
        ordering = ["milestone_template", "sequence"]

    def __str__(self) -> str:
        return self.text
