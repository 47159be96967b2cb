"""PM excellence: workload, certification status and the "accidental project manager" flag.

A project manager with live projects and no current certification or internal PM training is an
"accidental project manager" (someone made PM by circumstance, not by training): their projects
show a flag and leadership sees it on the workload page. Reads take the user and run in a fixed
number of queries; the one write (recording a certificate) is ``pm_certification_record``.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Concat, Lower, NullIf, Trim
from django.utils import timezone
from django.utils.translation import gettext as _

from clients import access
from clients.models import PMCertification, Role, User
from core.audit import audit_context
from metrics.scores.models import ScoreLens, ScoreSnapshot
from projects.models import Project, ProjectStatus

EXPIRING_WITHIN = dt.timedelta(days=90)
LIVE_STATUSES = (ProjectStatus.ACTIVE, ProjectStatus.ON_HOLD)

can_view_pm_workload = access.can_lead  # leadership and admins, never client users
can_record_certification = access.can_lead


def current_certification(today: dt.date, *, prefix: str = "") -> Q:
    """Issued on or before ``today`` and not expired (a certificate without expiry never expires)."""
    return Q(**{f"{prefix}issued__lte": today}) & (
        Q(**{f"{prefix}expires__isnull": True}) | Q(**{f"{prefix}expires__gte": today})
    )


def is_current(certification: PMCertification, today: dt.date) -> bool:
    return certification.issued <= today and (certification.expires is None or certification.expires >= today)


def accidental_pm_project_ids(project_ids: list[int], *, today: dt.date | None = None) -> set[int]:
    """Those of the projects whose PM has no current certification or training (one query)."""
    today = today or timezone.localdate()
    certified = PMCertification.objects.filter(current_certification(today), user=OuterRef("manager"))
    return set(
        Project.objects.filter(pk__in=project_ids, manager__isnull=False)
        .exclude(Exists(certified))
        .values_list("pk", flat=True)
    )


def project_has_accidental_pm(project: Project, *, today: dt.date | None = None) -> bool:
    return project.pk in accidental_pm_project_ids([project.pk], today=today)


@dataclass
class PMRow:
    manager: User
    projects: list[dict] = field(default_factory=list)
    certifications: list[PMCertification] = field(default_factory=list)
    today: dt.date = field(default_factory=timezone.localdate)

    @property
    def active_projects(self) -> int:
        return sum(1 for p in self.projects if p["status"] == ProjectStatus.ACTIVE)

    @property
    def red_projects(self) -> int:
        return sum(1 for p in self.projects if p["rag"] == "red")

    @property
    def amber_projects(self) -> int:
        return sum(1 for p in self.projects if p["rag"] == "amber")

    @property
    def current(self) -> list[PMCertification]:
        return [c for c in self.certifications if is_current(c, self.today)]

    @property
    def expiring(self) -> list[PMCertification]:
        """Current certificates that expire within 90 days."""
        limit = self.today + EXPIRING_WITHIN
        return [c for c in self.current if c.expires is not None and c.expires <= limit]

    @property
    def accidental(self) -> bool:
        return bool(self.projects) and not self.current


def _latest_cmo_rag():
    return (
        ScoreSnapshot.objects.filter(project=OuterRef("pk"), lens=ScoreLens.CMO).order_by("-bucket").values("rag")[:1]
    )


def _count_per_manager(projects) -> Coalesce:
    """How many of ``projects`` (correlated with the outer PM) as a subquery: no join fans the PMs out."""
    counted = projects.order_by().values("manager").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def pm_managers(*, user, today: dt.date | None = None) -> QuerySet:
    """Active PMs with ``live_count``, ``red_count`` and ``accidental`` computed and sorted in the database:
    accidental PMs first, then most red projects, most live projects, name. Slice it to page (one query a page)."""
    if not can_view_pm_workload(user):
        raise PermissionDenied(_("Only leadership and administrators see PM workload."))
    today = today or timezone.localdate()
    live = Project.objects.filter(manager=OuterRef("pk"), status__in=LIVE_STATUSES)
    certified = PMCertification.objects.filter(current_certification(today), user=OuterRef("pk"))
    name = Lower(
        Coalesce(
            NullIf("full_name", Value("")),
            NullIf(Trim(Concat("first_name", Value(" "), "last_name")), Value("")),
            "username",
        )
    )
    return (
        User.objects.filter(role=Role.PROJECT_MANAGER, is_active=True)
        .annotate(
            live_count=_count_per_manager(live),
            red_count=_count_per_manager(
                live.annotate(latest_rag=Subquery(_latest_cmo_rag())).filter(latest_rag="red")
            ),
            certified=Exists(certified),
        )
        .annotate(accidental=ExpressionWrapper(Q(live_count__gt=0) & Q(certified=False), output_field=BooleanField()))
        .order_by(F("accidental").desc(), F("red_count").desc(), F("live_count").desc(), name, "pk")
    )


def pm_rows(managers, *, today: dt.date | None = None) -> list[PMRow]:
    """``managers`` (a page of ``pm_managers``) as rows: their live projects with the latest RAG and their
    certificates. Three queries whatever the number of PMs and projects."""
    today = today or timezone.localdate()
    managers = list(
        managers.prefetch_related(Prefetch("certifications", queryset=PMCertification.objects.order_by("-issued")))
        if isinstance(managers, QuerySet)
        else managers
    )
    projects: dict[int, list[dict]] = {}
    for project in (
        Project.objects.filter(status__in=LIVE_STATUSES, manager__in=[m.pk for m in managers])
        .annotate(rag=Subquery(_latest_cmo_rag()))
        .order_by("code")
        .values("pk", "code", "name", "status", "manager_id", "rag", "client__name")
    ):
        projects.setdefault(project["manager_id"], []).append(project)
    return [
        PMRow(manager=m, projects=projects.get(m.pk, []), certifications=list(m.certifications.all()), today=today)
        for m in managers
    ]


def pm_workload(*, user, today: dt.date | None = None) -> list[PMRow]:
    """Every active PM with their live projects (latest RAG), certificates, and flags, in the page's order."""
    return pm_rows(pm_managers(user=user, today=today), today=today)


def expiring_certifications(*, user, today: dt.date | None = None):
    """Current certificates of active PMs that expire within 90 days, soonest first (one query)."""
    if not can_view_pm_workload(user):
        raise PermissionDenied(_("Only leadership and administrators see PM certifications."))
    today = today or timezone.localdate()
    return (
        PMCertification.objects.filter(
            user__is_active=True, issued__lte=today, expires__gte=today, expires__lte=today + EXPIRING_WITHIN
        )
        .select_related("user")
        .order_by("expires", "user__username")
    )


def certifications_for(user):
    """Certificates the user may see: leadership and admins all, a PM their own, client users none."""
    queryset = PMCertification.objects.select_related("user")
    if can_view_pm_workload(user):
        return queryset
    if access.is_project_manager(user):
        return queryset.filter(user=user)
    return queryset.none()


@transaction.atomic
def pm_certification_record(
    *, actor, user: User, kind: str, issued: dt.date, expires: dt.date | None = None
) -> PMCertification:
    """Leadership or an administrator records a PM's certificate or internal training."""
    if not can_record_certification(actor):
        raise PermissionDenied(_("Only leadership and administrators record PM certifications."))
    if user.role != Role.PROJECT_MANAGER:
        raise ValidationError({"user": [_("Certifications are recorded for project managers.")]})
    with audit_context(actor=actor, reason="PM certification recorded"):
        certification = PMCertification(user=user, kind=kind, issued=issued, expires=expires)
        certification.full_clean()
        certification.save()
    return certification
