"""Extension points that a higher layer fills in at start-up, so the projects app never imports it.

``metrics`` (scores, PM excellence) registers its parts in ``MetricsConfig.ready()``. Each part is a
plain function; the projects pages merge what the parts return into their template context or queryset.
"""

from collections.abc import Callable

#: fn(user, project) -> template context for every project page (the header: e.g. the accidental-PM badge).
PROJECT_HEADER: list[Callable] = []
#: fn(user, project) -> template context for the project overview (e.g. the score panel).
PROJECT_OVERVIEW: list[Callable] = []
#: fn(user, change_request) -> template context for a change request's page (e.g. the what-if).
CHANGE_REQUEST_PAGE: list[Callable] = []
#: fn(user, project) -> template context for the audit trail page (e.g. the audit chain's head).
AUDIT_PAGE: list[Callable] = []
#: fn(user) -> {name: expression} annotations of the project list (e.g. the latest risk score and RAG).
PROJECT_LIST_ANNOTATIONS: list[Callable] = []


def merged(parts: list[Callable], *args) -> dict:
    """Every part's result merged into one dict (later parts win)."""
    result: dict = {}
    for part in parts:
        result.update(part(*args))
    return result
