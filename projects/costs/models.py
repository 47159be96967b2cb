"""Internal cost entries (actual cost) and the invoices sent to the client."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import audited
from core.input_ranges import validate_date_in_range
from projects.records import InternalQuerySet, Project, ProjectChildQuerySet


class CostCategory(models.TextChoices):
    LABOUR = "labour", _("Labour")
    MATERIALS = "materials", _("Materials")
    EQUIPMENT = "equipment", _("Equipment")
    SUBCONTRACT = "subcontract", _("Subcontract")
    OTHER = "other", _("Other")


@audited()
class CostEntry(models.Model):
    """Internal cost (actual cost, AC). Never shown to client users."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="cost_entries")
    date = models.DateField(validators=[validate_date_in_range])
    amount = models.DecimalField(max_digits=14, decimal_places=2, help_text=_("In the project's currency."))
    category = models.CharField(max_length=20, choices=CostCategory.choices)
    description = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    objects = InternalQuerySet.as_manager()

    class Meta:
        ordering = ["project", "-date", "-pk"]
        verbose_name_plural = _("cost entries")

    def __str__(self) -> str:
        return f"{self.date} {self.category} {self.amount}"


@audited()
class Invoice(models.Model):
    """An amount invoiced to the client (shared with the client)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invoices")
    number = models.CharField(max_length=40)
    date = models.DateField(validators=[validate_date_in_range])
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal(0))])
    description = models.CharField(max_length=300, blank=True)

    objects = ProjectChildQuerySet.as_manager()

    class Meta:
        ordering = ["project", "-date"]
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="invoice_number_unique")]

    def __str__(self) -> str:
        return self.number
