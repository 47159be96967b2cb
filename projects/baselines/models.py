"""Baselines: approved (or proposed) snapshots of every milestone's due date and the budget."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clients.access import ScopedQuerySet
from core.audit import audited
from projects.milestones.models import Milestone
from projects.records import Project


class BaselineStatus(models.TextChoices):
    PROPOSED = "proposed", _("Awaiting client signature")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


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

    e_signatures = GenericRelation("projects.Signature", related_query_name="baseline")

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
        return gettext("Baseline %(number)s of %(code)s") % {"number": self.number, "code": self.project.code}

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
