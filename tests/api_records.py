"""Existing records of every API resource, on client A's project and on client B's: for tests that walk the schema."""

from dataclasses import dataclass

from tests.conftest import World
from tests.metrics.factories import certification, invitation_b, make_invitation, make_response, response_b
from tests.projects.document_factories import make_document
from tests.projects.factories import BaselineFactory, constraint_records


@dataclass
class ApiRecords:
    world: World
    ids: dict[str, list[int]]  # existing records' ids by resource (the path segment after /api/v1/), A's first


def existing_records(world: World, records_b) -> ApiRecords:
    """The shared world (``world`` and ``records_b`` fixtures) plus one record of every kind on client A's project
    (approver_a's) too."""
    project, pm = world.project_a, world.pm
    a = constraint_records(project=project, pm=pm, client_user=world.approver_a, label="Aurora", reference="AUR")
    baseline_a = BaselineFactory(project=project, created_by=pm)

    def both(kind: str) -> list[int]:
        return [getattr(a, kind).pk, getattr(records_b, kind).pk]

    return ApiRecords(
        world=world,
        ids={
            "baselines": [baseline_a.pk, world.baseline_b.pk],
            "batches": both("batch"),
            "change-requests": both("change_request"),
            "clients": [world.client_a.pk, world.client_b.pk],
            "documents": [
                make_document(project, pm, title="Aurora CoA").pk,
                make_document(world.project_b, world.project_b.manager, title="Borealis CoA").pk,
            ],
            "cost-entries": both("cost_entry"),
            "invoices": both("invoice"),
            "issues": both("issue"),
            "milestones": [world.milestone_a.pk, world.internal_milestone_a.pk, world.milestone_b.pk],
            "notifications": both("notification"),
            "pm-certifications": [certification(world).pk],
            "projects": [world.project_a.pk, world.project_b.pk],
            "quality-events": both("quality_event"),
            "risks": both("risk"),
            "survey-responses": [make_response(project, world.viewer_a, nps=9, overall=4).pk, response_b(world).pk],
            "surveys": [make_invitation(project, world.approver_a).pk, invitation_b(world).pk],
            "templates": [world.template.pk],
            "users": [world.admin.pk, world.pm.pk, world.approver_a.pk, world.viewer_b.pk],
            "webhooks": [_webhook(world, world.client_a).pk, _webhook(world, world.client_b).pk],
        },
    )


def _webhook(world: World, client):
    """A webhook endpoint of ``client`` (integrations: administrators manage them)."""
    from integrations.services import webhook_endpoint_create

    return webhook_endpoint_create(
        actor=world.admin,
        client=client,
        name=f"{client.name} ERP",
        url="https://hooks.example.com/cmo",
        events=["milestone.completed"],
    )[0]
