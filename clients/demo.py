"""The demo portfolio behind ``manage.py seed_demo`` (idempotent: re-running updates, never duplicates)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from clients.models import Client, Role, User
from projects.models import Project, ProjectStatus, ServiceType

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

# code, client slug, name, product, service type, manager, status, start offset (days), length (days), budget
PROJECTS = [
    (
        "AUR-TT-01",
        "aurora",
        "mAb tech transfer to Site B",
        "AUR-114 (mAb)",
        ServiceType.TECH_TRANSFER,
        "pm.alice",
        ProjectStatus.ACTIVE,
        -120,
        300,
        "2400000",
    ),
    (
        "AUR-CS-02",
        "aurora",
        "Phase II clinical supply",
        "AUR-114 (mAb)",
        ServiceType.CLINICAL_SUPPLY,
        "pm.alice",
        ProjectStatus.ACTIVE,
        -60,
        240,
        "1150000",
    ),
    (
        "BOR-PD-01",
        "borealis",
        "Upstream process development",
        "BT-207 (enzyme)",
        ServiceType.PROCESS_DEVELOPMENT,
        "pm.bruno",
        ProjectStatus.ACTIVE,
        -90,
        210,
        "980000",
    ),
    (
        "BOR-FF-02",
        "borealis",
        "Fill-finish of lyophilised vials",
        "BT-207 (enzyme)",
        ServiceType.FILL_FINISH,
        "pm.bruno",
        ProjectStatus.PLANNED,
        20,
        150,
        "640000",
    ),
    (
        "CAS-CM-01",
        "cascade",
        "Commercial supply 2027",
        "CV-3 (vaccine)",
        ServiceType.COMMERCIAL_SUPPLY,
        "pm.alice",
        ProjectStatus.ACTIVE,
        -200,
        420,
        "5200000",
    ),
    (
        "CAS-AN-02",
        "cascade",
        "Stability and release testing",
        "CV-3 (vaccine)",
        ServiceType.ANALYTICAL,
        "pm.bruno",
        ProjectStatus.ACTIVE,
        -30,
        180,
        "310000",
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


def seed_demo(*, password: str = DEMO_PASSWORD, today: dt.date | None = None) -> list[DemoLogin]:
    today = today or timezone.localdate()
    logins: list[DemoLogin] = []
    clients = {}
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
    for code, slug, name, product, service, manager, status, offset, length, budget in PROJECTS:
        start = today + dt.timedelta(days=offset)
        Project.objects.update_or_create(
            code=code,
            defaults={
                "client": clients[slug],
                "name": name,
                "product": product,
                "service_type": service,
                "manager": users[manager],
                "status": status,
                "start_date": start,
                "target_date": start + dt.timedelta(days=length),
                "budget": Decimal(budget),
                "contract_value": (Decimal(budget) * Decimal("1.18")).quantize(Decimal("1")),
            },
        )
    return logins
