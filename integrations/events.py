"""The events an endpoint may subscribe to: those ``core.events`` names, with the words the admin and API show."""

from django.utils.translation import gettext_lazy as _

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
    (MILESTONE_COMPLETED, _("A milestone was completed")),
    (MILESTONE_SLIPPED, _("A milestone's forecast moved later")),
    (CHANGE_REQUEST_SUBMITTED, _("A change request was submitted to the client")),
    (CHANGE_REQUEST_DECIDED, _("A change request was approved or rejected")),
    (RAG_CHANGED, _("A project's RAG status changed")),
    (DOCUMENT_ISSUED, _("A document version was issued for client review")),
    (SURVEY_ANSWERED, _("A satisfaction survey was answered")),
]
EVENTS = [key for key, _label in EVENT_CHOICES]
