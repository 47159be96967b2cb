"""Scale data for the benchmarks: a portfolio of N projects with realistic records."""

import datetime as dt
import random
from decimal import Decimal

from clients.models import Client, Role, User
from projects.models import (
    Batch,
    CostEntry,
    Milestone,
    Project,
    ProjectStatus,
    QualityEvent,
    Risk,
    ServiceType,
)


def build_portfolio(n: int, *, seed: int = 7, prefix: str = "B") -> list[int]:
    """Create ``n`` active projects (6 milestones, costs, batches, events, risks each); returns their ids."""
    rng = random.Random(seed)
    client, _ = Client.objects.get_or_create(slug=f"bench-{prefix.lower()}", defaults={"name": f"Bench {prefix}"})
    pm, _ = User.objects.get_or_create(username=f"bench.pm.{prefix.lower()}", defaults={"role": Role.PROJECT_MANAGER})
    start = dt.date(2026, 1, 5)
    projects = Project.objects.bulk_create(
        [
            Project(
                client=client,
                code=f"{prefix}-{i:05d}",
                name=f"Bench project {i}",
                service_type=rng.choice(ServiceType.values),
                manager=pm,
                status=ProjectStatus.ACTIVE,
                start_date=start,
                target_date=start + dt.timedelta(days=360),
                budget=Decimal(rng.randrange(200_000, 5_000_000)),
            )
            for i in range(n)
        ]
    )
    milestones, costs, batches, events, risks = [], [], [], [], []
    for p in projects:
        for s in range(1, 7):
            base = start + dt.timedelta(days=60 * s)
            done = base < dt.date(2026, 11, 1)
            slip = rng.choice([0, 0, 3, 10, 25])
            milestones.append(
                Milestone(
                    project=p,
                    sequence=s,
                    name=f"Step {s}",
                    baseline_date=base,
                    forecast_date=base + dt.timedelta(days=slip),
                    actual_date=base + dt.timedelta(days=slip) if done else None,
                    weight=Decimal("0.1667"),
                    percent_complete=Decimal(100 if done else rng.choice([0, 30, 60])),
                )
            )
        costs += [
            CostEntry(
                project=p,
                date=start + dt.timedelta(days=30 * k),
                amount=Decimal(rng.randrange(5_000, 90_000)),
                category="labour",
            )
            for k in range(8)
        ]
        batches += [
            Batch(
                project=p,
                number=f"{p.code}-{k}",
                planned_date=start + dt.timedelta(days=40 * k),
                outcome="released",
                right_first_time=rng.random() > 0.15,
            )
            for k in range(4)
        ]
        events.append(
            QualityEvent(
                project=p,
                reference=f"DEV-{p.code}",
                title="Deviation",
                kind="deviation",
                severity=rng.choice(["minor", "major"]),
                opened=dt.date(2026, 10, 1),
            )
        )
        risks += [
            Risk(project=p, title=f"Risk {k}", probability=rng.randint(1, 5), impact=rng.randint(1, 5))
            for k in range(3)
        ]
    Milestone.objects.bulk_create(milestones)
    CostEntry.objects.bulk_create(costs)
    Batch.objects.bulk_create(batches)
    QualityEvent.objects.bulk_create(events)
    Risk.objects.bulk_create(risks)
    return [p.pk for p in projects]
