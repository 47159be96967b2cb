"""The risk register of a project."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.audit import audited
from projects.records import Project, SharedQuerySet, Visibility


class RiskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", pgettext_lazy("status", "Closed")


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
