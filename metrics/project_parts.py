"""What metrics adds to the projects pages (registered in ``MetricsConfig.ready``; see projects/extensions.py)."""

from django.db.models import F

from clients import access
from metrics.scores.selectors import current_score_join


def header(user, project) -> dict:
    from metrics.portfolio.pm_excellence import project_has_accidental_pm

    return {"accidental_pm": access.is_staff_user(user) and project_has_accidental_pm(project)}


def overview(user, project) -> dict:
    from metrics.scores.views import score_panel

    return score_panel(user, project)


def change_request(user, change) -> dict:
    from metrics.scores.selectors import change_request_what_if

    return {"what_if": change_request_what_if(user=user, change=change)}


def project_list_annotations(user) -> dict:
    """The latest risk score and RAG through the user's lens."""
    return {
        **current_score_join(user),
        "risk_score": F("current_score__risk_score"),
        "rag": F("current_score__rag"),
    }
