"""What metrics adds to the projects pages (registered in ``MetricsConfig.ready``; see projects/extensions.py)."""

from django.db.models import OuterRef, Subquery

from clients import access
from metrics.scores.models import ScoreSnapshot, lens_for


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
    latest = ScoreSnapshot.objects.filter(project=OuterRef("pk"), lens=lens_for(user)).order_by("-bucket")
    return {
        "risk_score": Subquery(latest.values("risk_score")[:1]),
        "rag": Subquery(latest.values("rag")[:1]),
    }
