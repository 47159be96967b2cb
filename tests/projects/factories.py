import datetime as dt
from decimal import Decimal

import factory

from projects.models import (
    Baseline,
    BaselineStatus,
    ChecklistItem,
    Milestone,
    MilestoneTemplate,
    Project,
    ProjectStatus,
    ProjectTemplate,
    ServiceType,
)
from tests.clients.factories import ClientFactory, UserFactory


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    client = factory.SubFactory(ClientFactory)
    code = factory.Sequence(lambda n: f"PRJ-{n:04d}")
    name = factory.Sequence(lambda n: f"Project {n}")
    product = "mAb-1"
    service_type = ServiceType.TECH_TRANSFER
    manager = factory.SubFactory(UserFactory)
    status = ProjectStatus.ACTIVE
    start_date = dt.date(2026, 1, 5)
    target_date = dt.date(2026, 12, 18)
    budget = Decimal("1000000.00")
    contract_value = Decimal("1200000.00")


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    project = factory.SubFactory(ProjectFactory)
    sequence = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Milestone {n}")
    baseline_date = dt.date(2026, 6, 1)
    forecast_date = dt.date(2026, 6, 1)
    weight = Decimal("0.25")


class ChecklistItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChecklistItem

    milestone = factory.SubFactory(MilestoneFactory)
    text = factory.Sequence(lambda n: f"Check {n}")
    required = True


class BaselineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Baseline

    project = factory.SubFactory(ProjectFactory)
    number = factory.Sequence(lambda n: n + 1)
    status = BaselineStatus.PROPOSED
    reason = "Supplier delay"
    budget = Decimal("1000000.00")
    created_by = factory.SubFactory(UserFactory)


class ProjectTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectTemplate

    name = factory.Sequence(lambda n: f"Template {n}")
    service_type = ServiceType.TECH_TRANSFER


class MilestoneTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MilestoneTemplate

    template = factory.SubFactory(ProjectTemplateFactory)
    sequence = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Step {n}")
    offset_days = 0
    duration_days = 10
    weight = Decimal("0.5")
