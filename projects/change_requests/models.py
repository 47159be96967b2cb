"""Change requests of scope, schedule, cost or quality that the client approves with an e-signature."""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.access import ScopedQuerySet
from core.audit import audited
from projects.records import Project


class ChangeRequestStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Awaiting client decision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class QualityImpact(models.TextChoices):
    NONE = "none", _("None")
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical")


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
        help_text=_(
            "Days the forecasts of the milestones it moves shift (every open milestone unless some are chosen)."
        ),
    )
    moved_milestones = models.ManyToManyField(
        "Milestone",
        blank=True,
        related_name="+",
        help_text=_("The open milestones the schedule impact moves; none chosen: every open milestone."),
    )
    cost_impact = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal(0), help_text=_("Added to the budget on approval.")
    )
    scope_impact = models.TextField(blank=True, help_text=_("What changes in the scope, in words."))
    scope_impact_percent = models.DecimalField(
        max_digits=6, decimal_places=2, default=Decimal(0), help_text=_("Scope change as a percent of the original.")
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

    e_signatures = GenericRelation("projects.Signature", related_query_name="change_request")

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
