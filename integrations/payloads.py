"""What an endpoint receives: each event's record, read as the endpoint's owner would read it.

A client's endpoint reads through the lens of that client's users: ``Model.objects.for_user`` of
``clients.access.client_reader`` (the one access rule), so an internal milestone, an internal document,
another client's project, a draft or the CMO's score lens is simply not found and nothing is sent. The CMO's
endpoint reads as leadership (everything). Fields are listed explicitly, never "all fields": a field added to a
model later is not sent until someone decides it may be.
"""

from collections.abc import Callable

from clients import access
from clients.models import Client, User
from clients.roles import Role
from core.events import DomainEvent
from integrations import events as keys
from metrics.scores.models import lens_for
from metrics.surveys.models import CSAT_FIELDS, SurveyResponse
from projects.models import ChangeRequest, DocumentVersion, Milestone, Project


def viewer_for(client: Client | None) -> User:
    """The reader whose view a payload is: ``clients.access.client_reader(client)`` (what the client's users see, as
    the status report issued to them), or CMO leadership for the CMO's endpoints.

    Not saved: it exists only to go through ``for_user`` like a signed-in user of that kind would.
    """
    if client is None:
        return User(username="webhook:cmo", role=Role.LEADERSHIP, is_active=True)
    return access.client_reader(client)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _user_name(user) -> str | None:
    return (user.display_name or user.get_username()) if user is not None else None


def _milestone(viewer, event: DomainEvent) -> dict | None:
    milestone = Milestone.objects.for_user(viewer).filter(pk=event.record_id).first()
    if milestone is None:
        return None
    data = {
        "id": milestone.pk,
        "name": milestone.name,
        "sequence": milestone.sequence,
        "baseline_date": _iso(milestone.baseline_date),
        "forecast_date": _iso(milestone.forecast_date),
        "actual_date": _iso(milestone.actual_date),
        "percent_complete": str(milestone.percent_complete),
        "slip_days": milestone.slip_days,
    }
    if event.key == keys.MILESTONE_SLIPPED:
        data["previous_forecast_date"] = event.facts.get("previous_forecast_date")
    return {"milestone": data}


def _change_request(viewer, event: DomainEvent) -> dict | None:
    change = ChangeRequest.objects.for_user(viewer).select_related("decided_by").filter(pk=event.record_id).first()
    if change is None:
        return None
    return {
        "change_request": {
            "id": change.pk,
            "number": change.number,
            "title": change.title,
            "status": change.status,
            "schedule_impact_days": change.schedule_impact_days,
            "cost_impact": str(change.cost_impact),
            "scope_impact": change.scope_impact,
            "scope_impact_percent": str(change.scope_impact_percent),
            "quality_impact": change.quality_impact,
            "submitted_at": _iso(change.submitted_at),
            "decided_at": _iso(change.decided_at),
            "decided_by": _user_name(change.decided_by),
        }
    }


def _document(viewer, event: DomainEvent) -> dict | None:
    version = DocumentVersion.objects.for_user(viewer).select_related("document").filter(pk=event.record_id).first()
    if version is None:
        return None
    document = version.document
    return {
        "document": {"id": document.pk, "title": document.title, "kind": document.kind},
        "version": {
            "number": version.number,
            "original_filename": version.original_filename,
            "size": version.size,
            "sha256": version.sha256,
            "status": version.status,
            "issued_at": _iso(version.issued_at),
        },
    }


def _survey(viewer, event: DomainEvent) -> dict | None:
    response = SurveyResponse.objects.for_user(viewer).filter(pk=event.record_id).first()
    if response is None:
        return None
    return {
        "survey_response": {
            "id": response.pk,
            "answered_at": _iso(response.answered_at),
            "quarter": _iso(response.quarter),
            **{name: getattr(response, name) for name in CSAT_FIELDS},
            "nps": response.nps,
        }
    }


def _rag(viewer, event: DomainEvent) -> dict | None:
    """Each lens's change goes to the readers of that lens only: the client lens (computed only from what the
    client may see) to the client's endpoint, the CMO's to the CMO's; never a score's reasons."""
    if event.facts.get("lens") != lens_for(viewer):
        return None
    facts = event.facts
    return {
        "score": {
            "previous_rag": facts.get("previous_rag"),
            "rag": facts.get("rag"),
            "risk_score": facts.get("risk_score"),
            "tradeoff_score": facts.get("tradeoff_score"),
            "computed_at": facts.get("computed_at"),
        }
    }


BUILDERS: dict[str, Callable[[User, DomainEvent], dict | None]] = {
    keys.MILESTONE_COMPLETED: _milestone,
    keys.MILESTONE_SLIPPED: _milestone,
    keys.CHANGE_REQUEST_SUBMITTED: _change_request,
    keys.CHANGE_REQUEST_DECIDED: _change_request,
    keys.RAG_CHANGED: _rag,
    keys.DOCUMENT_ISSUED: _document,
    keys.SURVEY_ANSWERED: _survey,
}
assert set(BUILDERS) == set(keys.EVENTS)  # noqa: S101 -- every declared event has its payload


def payload_for(client: Client | None, event: DomainEvent, *, occurred_at) -> dict | None:
    """The JSON body for the endpoints of ``client`` (None: the CMO's), or None when they may not see it."""
    viewer = viewer_for(client)
    project = Project.objects.for_user(viewer).select_related("client").filter(pk=event.project_id).first()
    if project is None:
        return None
    data = BUILDERS[event.key](viewer, event)
    if data is None:
        return None
    return {
        "id": str(event.id),
        "event": event.key,
        "occurred_at": occurred_at.isoformat(),
        "client": {"id": project.client_id, "slug": project.client.slug, "name": project.client.name},
        "project": {"id": project.pk, "code": project.code, "name": project.name, "status": project.status},
        **data,
    }
