"""The demo portfolio behind ``manage.py seed_demo`` (idempotent: re-running updates, never duplicates)."""

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from clients.models import Client, Role, User
from core.audit import audit_context
from projects import services as project_services
from projects.change_requests import services as change_request_services
from projects.costs import services as cost_services
from projects.issues import services as issue_services
from projects.models import (
    ChecklistItem,
    ChecklistItemTemplate,
    Milestone,
    MilestoneTemplate,
    Project,
    ProjectStatus,
    ProjectTemplate,
)
from projects.plan_templates.demo_templates import TEMPLATES
from projects.quality import services as quality_services
from projects.risks import services as risk_services

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
                _seed_records(project, demo, manager, today, clients[demo.client])
    _seed_metrics(users, clients, today)
    from metrics.scores.services import scores_recompute

    scores_recompute(channel="command")
    return logins


def _seed_metrics(users: dict[str, User], clients: dict[str, Client], today: dt.date) -> None:
    """PM certificates (Bruno's has lapsed: an "accidental PM"), KPI targets, survey answers, Lean roll-up."""
    from clients.models import PMCertification
    from metrics.lean import services as lean_services
    from metrics.lean.models import ClientKpiTarget
    from metrics.surveys import services as survey_services
    from metrics.surveys.models import SurveyInvitation

    admin = users["admin"]
    if not PMCertification.objects.exists():
        from metrics.portfolio.pm_excellence import pm_certification_record

        pm_certification_record(
            actor=admin,
            user=users["pm.alice"],
            kind="pmp",
            issued=today - dt.timedelta(days=400),
            expires=today + dt.timedelta(days=40),
        )
        pm_certification_record(
            actor=admin,
            user=users["pm.bruno"],
            kind="internal",
            issued=today - dt.timedelta(days=900),
            expires=today - dt.timedelta(days=30),
        )
    if not ClientKpiTarget.objects.exists():
        for slug, metric, target in (
            ("aurora", "otif", "95"),
            ("aurora", "right_first_time", "90"),
            ("cascade", "on_time_milestones", "85"),
            ("borealis", "csat", "4"),
        ):
            lean_services.kpi_target_set(actor=admin, client=clients[slug], metric=metric, target=target)
    now = timezone.now()
    survey_services.surveys_run_schedule(now=now)
    answers = {  # one promoter, one passive and one detractor (who gets a follow-up issue)
        "aurora": (
            {
                "csat_communication": 5,
                "csat_responsiveness": 4,
                "csat_quality": 5,
                "csat_schedule": 3,
                "csat_overall": 4,
                "nps": 9,
            },
            "Good communication; the batch 2 slip worries us.",
        ),
        "borealis": (
            {
                "csat_communication": 4,
                "csat_responsiveness": 4,
                "csat_quality": 4,
                "csat_schedule": 4,
                "csat_overall": 4,
                "nps": 8,
            },
            "",
        ),
        "cascade": (
            {
                "csat_communication": 3,
                "csat_responsiveness": 2,
                "csat_quality": 4,
                "csat_schedule": 2,
                "csat_overall": 2,
                "nps": 5,
            },
            "Campaign 2 dates keep moving and we hear about it late.",
        ),
    }
    for invitation in SurveyInvitation.objects.filter(
        answered_at__isnull=True, recipient__username__endswith=".approver"
    ):
        scores, comment = answers[invitation.recipient.client.slug]
        survey_services.survey_answer(
            actor=invitation.recipient, invitation=invitation, answers=scores, comment=comment
        )
    lean_services.lean_rollup_refresh(now=now)
    lean_services.kpi_targets_evaluate(now=now)


def _seed_records(project: Project, demo: DemoProject, pm: User, today: dt.date, client: Client) -> None:
    """Costs, invoices, batches, quality events, risks, a change request and a shared issue."""
    rng = random.Random(demo.code)  # noqa: S311 -- demo data, not security
    budget = project.budget
    elapsed = max((today - project.start_date).days, 1)
    length = max((project.target_date - project.start_date).days, 1)
    burn = Decimal(str(1 + demo.slip_days / 60))  # late projects also overspend a little
    spent = (budget * Decimal(elapsed) / Decimal(length) * Decimal("0.7") * burn).quantize(Decimal("1"))
    months = max(elapsed // 30, 1)
    for k in range(months):
        cost_services.cost_entry_create(
            actor=pm,
            project=project,
            date=project.start_date + dt.timedelta(days=30 * k + 15),
            amount=(spent / months).quantize(Decimal("0.01")),
            category=rng.choice(["labour", "materials", "equipment"]),
            description=f"Month {k + 1} booking",
        )
    cost_services.invoice_create(
        actor=pm,
        project=project,
        number=f"INV-{demo.code}-1",
        date=project.start_date + dt.timedelta(days=30),
        amount=(project.contract_value * Decimal("0.3")).quantize(Decimal("0.01")),
        description="Milestone payment 1",
    )
    for k in range(1, 4):
        planned = project.start_date + dt.timedelta(days=25 * k)
        if planned >= today:
            break
        batch = quality_services.batch_create(
            actor=pm,
            project=project,
            number=f"{demo.code}-B{k:02d}",
            planned_date=planned,
            actual_date=planned + dt.timedelta(days=rng.choice([0, 0, 0, 3])),
            outcome="released",
        )
        if demo.slip_days > 10 and k == 2:
            quality_services.quality_event_create(
                actor=pm,
                project=project,
                batch=batch,
                reference=f"DEV-{demo.code}-{k}",
                title="Filter integrity test failed; batch reprocessed",
                kind="deviation",
                severity="major",
                opened=planned,
                due=planned + dt.timedelta(days=30),
                visibility="shared",
            )
    quality_services.quality_event_create(
        actor=pm,
        project=project,
        reference=f"CAPA-{demo.code}",
        title="Retrain operators on aseptic gowning",
        kind="capa",
        severity="minor",
        opened=today - dt.timedelta(days=40),
        due=today - dt.timedelta(days=5) if demo.slip_days > 10 else today + dt.timedelta(days=20),
        visibility="internal",
    )
    for title, probability, impact, visibility in (
        ("Single-source resin supplier", 3, 4, "shared"),
        ("Operator availability in Q1", 2, 3, "internal"),
        ("Scale-up yield below target", 2 + (demo.slip_days > 10), 4, "shared"),
    ):
        risk_services.risk_create(
            actor=pm,
            project=project,
            title=title,
            probability=probability,
            impact=impact,
            owner=pm,
            mitigation="Tracked weekly with the client.",
            visibility=visibility,
        )
    if demo.slip_days:
        change = change_request_services.change_request_create(
            actor=pm,
            project=project,
            title="Add an engineering run before GMP batch 2",
            description="Equipment change at Site B needs a confirmation run before the next GMP batch.",
            schedule_impact_days=14,
            cost_impact=Decimal("85000.00"),
            scope_impact="One extra engineering run.",
            scope_impact_percent=Decimal("4"),
            quality_impact="none",
        )
        change_request_services.change_request_submit(actor=pm, change=change)
    viewer = User.objects.get(username=f"{client.slug}.viewer")
    issue = issue_services.issue_raise(
        actor=viewer,
        project=project,
        title="Please share the draft batch record for review",
        description="Our QA would like to review the master batch record before execution.",
    )
    issue_services.issue_comment(
        actor=pm, issue=issue, body="Draft shared in the data room; comments welcome by Friday."
    )
