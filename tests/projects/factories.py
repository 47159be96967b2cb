import datetime as dt
from decimal import Decimal

import factory

from projects.models import Project, ProjectStatus, ServiceType
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
