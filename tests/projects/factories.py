import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import factory

from projects.models import (
    Baseline,
    BaselineStatus,
    Batch,
    ChangeRequest,
    ChangeRequestStatus,
    ChecklistItem,
    CostEntry,
    Invoice,
    Issue,
    IssueComment,
    Milestone,
    MilestoneTemplate,
    Notification,
    Project,
    ProjectStatus,
    ProjectTemplate,
    QualityEvent,
    Risk,
    ServiceType,
    Visibility,
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


# --- The constraints' records -----------------------------------------------------------------------


class CostEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CostEntry

    project = factory.SubFactory(ProjectFactory)
    date = dt.date(2026, 3, 2)
    amount = Decimal("1234.56")
    category = "labour"
    description = factory.Sequence(lambda n: f"Cost {n}")


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    project = factory.SubFactory(ProjectFactory)
    number = factory.Sequence(lambda n: f"INV-{n:05d}")
    date = dt.date(2026, 3, 31)
    amount = Decimal("50000.00")


class ChangeRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChangeRequest

    project = factory.SubFactory(ProjectFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Change {n}")
    schedule_impact_days = 14
    cost_impact = Decimal("25000.00")
    status = ChangeRequestStatus.SUBMITTED
    # As change_request_submit records it: a request withdrawn without it was never sent to the client.
    submitted_at = factory.LazyAttribute(
        lambda o: None if o.status == ChangeRequestStatus.DRAFT else dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    )


class BatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Batch

    project = factory.SubFactory(ProjectFactory)
    number = factory.Sequence(lambda n: f"B-{n:05d}")
    planned_date = dt.date(2026, 4, 1)


class QualityEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QualityEvent

    project = factory.SubFactory(ProjectFactory)
    reference = factory.Sequence(lambda n: f"DEV-2026-{n:03d}")
    title = factory.Sequence(lambda n: f"Deviation {n}")
    kind = "deviation"
    severity = "minor"
    opened = dt.date(2026, 3, 1)
    visibility = Visibility.SHARED


class RiskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Risk

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Risk {n}")
    probability = 3
    impact = 4
    visibility = Visibility.SHARED


class IssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Issue

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Issue {n}")
    visibility = Visibility.SHARED


class IssueCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IssueComment

    issue = factory.SubFactory(IssueFactory)
    author = factory.SubFactory(UserFactory)
    body = factory.Sequence(lambda n: f"Comment {n}")


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = "test"
    text = factory.Sequence(lambda n: f"Notification {n}")


@dataclass
class ConstraintRecords:
    """One record of every constraint kind on one project, shared with the client where visibility applies."""

    cost_entry: CostEntry
    invoice: Invoice
    change_request: ChangeRequest
    batch: Batch
    quality_event: QualityEvent
    risk: Risk
    issue: Issue
    comment: IssueComment
    notification: Notification


def constraint_records(*, project, pm, client_user, label: str, reference: str) -> ConstraintRecords:
    """Every title starts with ``label`` and every number with ``reference``, so a response can be searched for them.

    The client user raises the issue, comments on it and receives the notification; the PM records the rest.
    """
    issue = IssueFactory(project=project, title=f"{label} issue", raised_by=client_user)
    batch = BatchFactory(project=project, number=f"{reference}-BATCH")
    return ConstraintRecords(
        cost_entry=CostEntryFactory(project=project, description=f"{label} cost", created_by=pm),
        invoice=InvoiceFactory(project=project, number=f"{reference}-INV"),
        change_request=ChangeRequestFactory(project=project, title=f"{label} change", created_by=pm),
        batch=batch,
        quality_event=QualityEventFactory(
            project=project, batch=batch, reference=f"{reference}-DEV", title=f"{label} deviation"
        ),
        risk=RiskFactory(project=project, title=f"{label} risk"),
        issue=issue,
        comment=IssueCommentFactory(issue=issue, author=client_user, body=f"{label} comment"),
        notification=NotificationFactory(recipient=client_user, project=project, text=f"{label} notification"),
    )
