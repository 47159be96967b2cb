"""The demo portfolio behind ``manage.py seed_demo`` (idempotent: re-running updates, never duplicates)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from clients.models import Client, Role, User
from cmo_portal.audit_context import audit_context
from projects import services as project_services
from projects.demo_templates import TEMPLATES
from projects.models import (
    ChecklistItem,
    ChecklistItemTemplate,
    Milestone,
    MilestoneTemplate,
    Project,
    ProjectStatus,
    ProjectTemplate,
)

DEMO_PASSWORD = "portal-demo-2026"  # noqa: S105 -- demo data, printed by seed_demo on purpose

CLIENTS = [
    ("Aurora Biologics", "aurora"),
    ("Borealis Therapeutics", "borealis"),
    ("Cascade Vaccines", "cascade"),
]

STAFF = [
    ("admin", "Ada Admin", Role.ADMIN),
    ("lead", "Leona Leadership", Role.LEADERSHIP),
    ("pm.alice", "Alice Martin", Role.PROJECT_MANAGER),
    ("pm.bruno", "Bruno Keller", Role.PROJECT_MANAGER),
]


@dataclass(frozen=True)
class DemoProject:
    code: str
    client: str
    name: str
    product: str
    template: str
    manager: str
    status: str
    start_offset_days: int  # relative to today
    budget: str
    slip_days: int = 0  # how late the milestone in progress is forecast
    progress: int = 50  # percent complete of the milestone in progress


PROJECTS = [
    DemoProject(
        "AUR-TT-01",
        "aurora",
        "mAb tech transfer to Site B",
        "AUR-114 (mAb)",
        "Technology transfer (biologics)",
        "pm.alice",
        ProjectStatus.ACTIVE,
        -100,
        "2400000",
        12,
        60,
    ),
    DemoProject(
        "AUR-CS-02",
        "aurora",
        "Phase II clinical supply",
        "AUR-114 (mAb)",
        "Clinical supply",
        "pm.alice",
        ProjectStatus.ACTIVE,
        -60,
        "1150000",
        0,
        40,
    ),
    DemoProject(
        "BOR-PD-01",
        "borealis",
        "Upstream process development",
        "BT-207 (enzyme)",
        "Process development",
        "pm.bruno",
        ProjectStatus.ACTIVE,
        -90,
        "980000",
        5,
        70,
    ),
    DemoProject(
        "BOR-FF-02",
        "borealis",
        "Fill-finish of lyophilised vials",
        "BT-207 (enzyme)",
        "Fill-finish",
        "pm.bruno",
        ProjectStatus.PLANNED,
        20,
        "640000",
    ),
    DemoProject(
        "CAS-CM-01",
        "cascade",
        "Commercial supply 2027",
        "CV-3 (vaccine)",
        "Commercial supply",
        "pm.alice",
        ProjectStatus.ACTIVE,
        -200,
        "5200000",
        21,
        30,
    ),
    DemoProject(
        "CAS-AN-02",
        "cascade",
        "Stability and release testing",
        "CV-3 (vaccine)",
        "Analytical services",
        "pm.bruno",
        ProjectStatus.ACTIVE,
        -30,
        "310000",
        0,
        80,
    ),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    client: str | None


def _upsert_user(username: str, full_name: str, role: str, client: Client | None, password: str) -> User:
    user, _ = User.objects.update_or_create(
        username=username,
        defaults={
            "full_name": full_name,
            "email": f"{username}@example.com",
            "role": role,
            "client": client,
            "is_staff": role == Role.ADMIN,
            "is_superuser": role == Role.ADMIN,
            "is_active": True,
        },
    )
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def seed_templates() -> dict[str, ProjectTemplate]:
    templates = {}
    for name, (service_type, description, milestones) in TEMPLATES.items():
        template, _ = ProjectTemplate.objects.update_or_create(
            name=name, defaults={"service_type": service_type, "description": description, "active": True}
        )
        templates[name] = template
        if template.milestones.exists():
            continue
        for sequence, (ms_name, offset, duration, weight, value_adding, visible, checklist) in enumerate(milestones, 1):
            mt = MilestoneTemplate.objects.create(
                template=template,
                sequence=sequence,
                name=ms_name,
                offset_days=offset,
                duration_days=duration,
                weight=Decimal(weight),
                value_adding=value_adding,
                client_visible=visible,
            )
            ChecklistItemTemplate.objects.bulk_create(
                [
                    ChecklistItemTemplate(
                        milestone_template=mt, sequence=i, text=text.rstrip("?"), required=not text.endswith("?")
                    )
                    for i, text in enumerate(checklist, 1)
                ]
            )
    return templates


def _simulate_progress(project: Project, demo: DemoProject, today: dt.date) -> None:
    """Complete the milestones due before today and put the one in progress at its demo slip."""
    milestones = list(project.milestones.order_by("sequence"))
    in_progress = next((m for m in milestones if m.baseline_date and m.baseline_date >= today), None)
    for m in milestones:
        if m.baseline_date and m.baseline_date < today:
            slip = min(demo.slip_days // 3, (today - m.baseline_date).days)
            m.actual_date = m.baseline_date + dt.timedelta(days=slip)
            m.forecast_date = m.actual_date
            m.percent_complete = Decimal(100)
    if in_progress is not None:
        in_progress.percent_complete = Decimal(demo.progress)
        in_progress.forecast_date = in_progress.baseline_date + dt.timedelta(days=demo.slip_days)
        # Successors shift with it when it slips.
        for m in milestones:
            if m.sequence > in_progress.sequence and demo.slip_days:
                m.forecast_date = m.baseline_date + dt.timedelta(days=demo.slip_days)
    Milestone.objects.bulk_update(milestones, ["actual_date", "forecast_date", "percent_complete"])
    ChecklistItem.objects.filter(milestone__in=[m for m in milestones if m.actual_date]).update(
        done=True, done_at=timezone.now()
    )


def seed_demo(*, password: str = DEMO_PASSWORD, today: dt.date | None = None) -> list[DemoLogin]:
    today = today or timezone.localdate()
    logins: list[DemoLogin] = []
    clients = {}
    with audit_context(channel="command", reason="Demo data (seed_demo)"):
        for name, slug in CLIENTS:
            clients[slug], _ = Client.objects.update_or_create(slug=slug, defaults={"name": name, "active": True})
        users = {}
        for username, full_name, role in STAFF:
            users[username] = _upsert_user(username, full_name, role, None, password)
            logins.append(DemoLogin(username, role, None))
        for name, slug in CLIENTS:
            for suffix, role, person in (
                ("viewer", Role.CLIENT_VIEWER, "Viewer"),
                ("approver", Role.CLIENT_APPROVER, "Approver"),
            ):
                username = f"{slug}.{suffix}"
                _upsert_user(username, f"{name.split()[0]} {person}", role, clients[slug], password)
                logins.append(DemoLogin(username, role, name))
        templates = seed_templates()
        for demo in PROJECTS:
            if Project.objects.filter(code=demo.code).exists():
                continue
            template = templates[demo.template]
            start = today + dt.timedelta(days=demo.start_offset_days)
            length = max(m.offset_days + m.duration_days for m in template.milestones.all())
            manager = users[demo.manager]
            project = project_services.project_create(
                actor=manager,
                template=template,
                client=clients[demo.client],
                code=demo.code,
                name=demo.name,
                product=demo.product,
                service_type=template.service_type,
                manager=manager,
                status=ProjectStatus.PLANNED,
                start_date=start,
                target_date=start + dt.timedelta(days=length),
                budget=Decimal(demo.budget),
                contract_value=(Decimal(demo.budget) * Decimal("1.18")).quantize(Decimal("1")),
            )
            if demo.status == ProjectStatus.ACTIVE:
                project_services.project_start(actor=manager, project=project)
                _simulate_progress(project, demo, today)
    return logins
