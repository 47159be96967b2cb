"""Domain events: a service says what happened; a higher layer (outgoing webhooks) may listen.

The services of ``projects`` and ``metrics`` call ``publish`` inside their transaction, right where the thing
happens (a milestone completes, a change request is decided, ...). Listeners are registered at start-up by an
app that the lower layers never import (``integrations.apps``), as ``projects.extensions`` does for pages.
A listener runs inside the publisher's transaction: what it writes commits or rolls back with the write itself.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

# The events the services publish (their keys are part of the webhooks API: never rename one).
MILESTONE_COMPLETED = "milestone.completed"
MILESTONE_SLIPPED = "milestone.slipped"
CHANGE_REQUEST_SUBMITTED = "change_request.submitted"
CHANGE_REQUEST_DECIDED = "change_request.decided"
RAG_CHANGED = "rag.changed"
DOCUMENT_ISSUED = "document.issued"
SURVEY_ANSWERED = "survey.answered"


@dataclass(frozen=True)
class DomainEvent:
    key: str  #: e.g. "milestone.completed" (integrations.events.EVENTS lists them)
    project_id: int
    record_id: int  #: the milestone, change request, document version, survey response or score snapshot
    facts: dict = field(default_factory=dict)  #: what the record no longer tells (a previous forecast, RAG, lens)
    id: uuid.UUID = field(default_factory=uuid.uuid4)


#: fn(event) called by ``publish`` in the publisher's transaction.
LISTENERS: list[Callable[[DomainEvent], None]] = []


def publish(key: str, *, project_id: int, record_id: int, **facts) -> DomainEvent:
    event = DomainEvent(key=key, project_id=project_id, record_id=record_id, facts=facts)
    for listener in LISTENERS:
        listener(event)
    return event
