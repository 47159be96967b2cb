"""The events an endpoint may subscribe to: those ``core.events`` names, with the words the admin and API show."""

from core.events import (
    CHANGE_REQUEST_DECIDED,
    CHANGE_REQUEST_SUBMITTED,
    DOCUMENT_ISSUED,
    MILESTONE_COMPLETED,
    MILESTONE_SLIPPED,
    RAG_CHANGED,
    SURVEY_ANSWERED,
)

EVENT_CHOICES = [
    (MILESTONE_COMPLETED, "A milestone was completed"),
    (MILESTONE_SLIPPED, "A milestone's forecast moved later"),
    (CHANGE_REQUEST_SUBMITTED, "A change request was submitted to the client"),
    (CHANGE_REQUEST_DECIDED, "A change request was approved or rejected"),
    (RAG_CHANGED, "A project's RAG status changed"),
    (DOCUMENT_ISSUED, "A document version was issued for client review"),
    (SURVEY_ANSWERED, "A satisfaction survey was answered"),
]
EVENTS = [key for key, _ in EVENT_CHOICES]
