"""The project record every other record hangs off, and what the packages of the app share.

``Project`` with its enums and queryset; ``Visibility`` and the querysets of a project's records
(``ProjectChildQuerySet``: clients see their own client's; internal and shared variants); the checks
every write starts with (``require``, ``require_editor``), ``project_inputs_changed`` that every write
of a scoring input ends with, and ``project_get`` (the project in the user's scope).
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from clients import access
from clients.access import ScopedQuerySet
from clients.models import Client
from core.audit import audited
from core.broker import send_task_safely
from core.input_ranges import validate_date_in_range


class ServiceType(models.TextChoices):
    TECH_TRANSFER = "tech_transfer", _("Technology transfer")
    PROCESS_DEVELOPMENT = "process_development", _("Process development")
    CLINICAL_SUPPLY = "clinical_supply", _("Clinical supply")
    COMMERCIAL_SUPPLY = "commercial_supply", _("Commercial supply")
    FILL_FINISH = "fill_finish", _("Fill-finish")
    ANALYTICAL = "analytical", _("Analytical services")


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Active")
    ON_HOLD = "on_hold", _("On hold")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class TradeoffLevel(models.TextChoices):
    CONSTRAIN = "constrain", _("Constrain")
    OPTIMIZE = "optimize", _("Optimize")
    ACCEPT = "accept", _("Accept")


class Visibility(models.TextChoices):
    INTERNAL = "internal", _("Internal (CMO only)")
    SHARED = "shared", _("Shared with the client")


class ProjectQuerySet(ScopedQuerySet):
    client_path = "client"

    def active(self):
        return self.filter(status=ProjectStatus.ACTIVE)


@audited(exclude=["scores_stale", "updated"])
class Project(models.Model):
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="projects")
    code = models.CharField(max_length=30, unique=True, help_text=_("Short unique code, e.g. AUR-TT-01."))
    name = models.CharField(max_length=200)
    product = models.CharField(max_length=200, blank=True, help_text=_("Molecule or product being manufactured."))
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
    start_date = models.DateField(validators=[validate_date_in_range])
    target_date = models.DateField(validators=[validate_date_in_range])
    budget = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Budget at completion (BAC) in the project's currency."),
    )
    contract_value = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Contract value agreed with the client, in the project's currency."),
    )
    currency = models.CharField(max_length=3, default="EUR", help_text=_("ISO 4217 code."))
    tradeoff_time = models.CharField(max_length=10, choices=TradeoffLevel.choices, default=TradeoffLevel.OPTIMIZE)
    tradeoff_scope = models.CharField(max_length=10, choices=TradeoffLevel.choices, default=TradeoffLevel.ACCEPT)
    tradeoff_quality = models.CharField(max_length=10, choices=TradeoffLevel.choices, default=TradeoffLevel.CONSTRAIN)
    tradeoff_cost = models.CharField(max_length=10, choices=TradeoffLevel.choices, default=TradeoffLevel.OPTIMIZE)
    scores_stale = models.BooleanField(default=True, help_text=_("Set when inputs changed and no recompute ran yet."))
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


# --- What the records of a project share ----------------------------------------------


class ProjectChildQuerySet(ScopedQuerySet):
    """Records of a project: clients see their own client's, and only shared ones where visibility applies."""


class InternalQuerySet(ProjectChildQuerySet):
    staff_only = True


class SharedQuerySet(ProjectChildQuerySet):
    visibility_field = "visibility"


# --- What every write and page of a project's record starts or ends with -----------------

RECOMPUTE_PROJECT_TASK = "metrics.tasks.recompute_project_scores"


def require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


#: The refusal of ``require_editor`` for each thing it guards, as one whole sentence to translate.
EDITOR_ONLY = {
    "records batches": _("Only the project's manager or an administrator records batches."),
    "updates batches": _("Only the project's manager or an administrator updates batches."),
    "records quality events": _("Only the project's manager or an administrator records quality events."),
    "closes quality events": _("Only the project's manager or an administrator closes quality events."),
    "raises issues for the CMO": _("Only the project's manager or an administrator raises issues for the CMO."),
    "resolves issues": _("Only the project's manager or an administrator resolves issues."),
    "records costs": _("Only the project's manager or an administrator records costs."),
    "imports costs": _("Only the project's manager or an administrator imports costs."),
    "records invoices": _("Only the project's manager or an administrator records invoices."),
    "records risks": _("Only the project's manager or an administrator records risks."),
    "updates risks": _("Only the project's manager or an administrator updates risks."),
    "drafts change requests": _("Only the project's manager or an administrator drafts change requests."),
    "submits change requests": _("Only the project's manager or an administrator submits change requests."),
    "withdraws change requests": _("Only the project's manager or an administrator withdraws change requests."),
    "adds documents": _("Only the project's manager or an administrator adds documents."),
    "uploads new versions": _("Only the project's manager or an administrator uploads new versions."),
    "issues documents for review": _("Only the project's manager or an administrator issues documents for review."),
    "issues status reports": _("Only the project's manager or an administrator issues status reports."),
}


def require_editor(actor, project: Project, what: str) -> None:
    """Only the project's manager or an administrator ``what`` (e.g. "records batches"; ``EDITOR_ONLY``)."""
    if not access.can_edit_project(actor, project):
        message = EDITOR_ONLY.get(what)
        raise PermissionDenied(str(message) if message else f"Only the project's manager or an administrator {what}.")


def in_sentence(label) -> str:
    """A choice's label inside a sentence ("is already approved"): lower case, except in German, where nouns keep
    their capital (the German sentences put it in quotes)."""
    text = str(label)
    return text if (translation.get_language() or "").startswith("de") else text.lower()


def project_inputs_changed(project_id: int) -> None:
    """Mark the project's scores stale and recompute them once, after the transaction commits.

    Several writes in one transaction enqueue a single recompute; a rollback enqueues none.
    If the broker is down the write still succeeds: the stale mark makes the next scheduled
    recompute catch up.
    """
    Project.objects.filter(pk=project_id, scores_stale=False).update(scores_stale=True)
    connection = transaction.get_connection()
    if any(
        getattr(func, "recompute_project_id", None) == project_id for _sids, func, _robust in connection.run_on_commit
    ):
        return

    def enqueue() -> None:
        send_task_safely(RECOMPUTE_PROJECT_TASK, project_id)  # implemented by metrics (a higher layer)

    enqueue.recompute_project_id = project_id
    transaction.on_commit(enqueue)


def project_get(*, user, pk: int) -> Project:
    """One project in scope, or ``Project.DoesNotExist`` (callers answer 404)."""
    return Project.objects.for_user(user).select_related("client", "manager").get(pk=pk)
