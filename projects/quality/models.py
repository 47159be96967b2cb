"""Batches and quality events (deviations, OOS, complaints, CAPAs)."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.audit import audited
from core.input_ranges import validate_date_in_range
from projects.records import Project, ProjectChildQuerySet, SharedQuerySet, Visibility


class BatchOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    RELEASED = "released", _("Released")
    REJECTED = "rejected", pgettext_lazy("batch", "Rejected")


@audited()
class Batch(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="batches")
    number = models.CharField(max_length=40)
    planned_date = models.DateField(validators=[validate_date_in_range])
    actual_date = models.DateField(null=True, blank=True, validators=[validate_date_in_range])
    outcome = models.CharField(max_length=10, choices=BatchOutcome.choices, default=BatchOutcome.PENDING)
    right_first_time = models.BooleanField(
        default=True, help_text=_("Made without a major or critical deviation and released without rework.")
    )

    objects = ProjectChildQuerySet.as_manager()

    class Meta:
        ordering = ["project", "planned_date", "number"]
        verbose_name_plural = _("batches")
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="batch_number_unique")]

    def __str__(self) -> str:
        return self.number


class QualityEventKind(models.TextChoices):
    DEVIATION = "deviation", _("Deviation")
    OOS = "oos", _("Out of specification (OOS)")
    COMPLAINT = "complaint", _("Complaint")
    CAPA = "capa", "CAPA"


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical")


@audited()
class QualityEvent(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="quality_events")
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.SET_NULL, related_name="quality_events")
    reference = models.CharField(max_length=40, help_text=_("e.g. DEV-2026-014"))
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=QualityEventKind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    opened = models.DateField(validators=[validate_date_in_range])
    due = models.DateField(null=True, blank=True, validators=[validate_date_in_range])
    closed = models.DateField(null=True, blank=True, validators=[validate_date_in_range])
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
