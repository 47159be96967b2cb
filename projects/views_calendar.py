"""Subscribed calendar feeds: no session, a secret link per user (see clients.services).

The link only says *who* is asking; what they see goes through the same ``for_user``
scoping as every other page. Unknown, revoked or inactive → 404, never a login redirect.
"""

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from clients.services import calendar_feed_token_use
from projects.calendar_feed import milestones_ics, subscription_ics
from projects.models import Milestone, Project


def _feed_user(token: str):
    user = calendar_feed_token_use(secret=token)
    if user is None:
        raise Http404
    return user


def _ics_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"  # the URL is a credential: no shared caches
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def calendar_feed(request, token: str):
    """Every milestone the link's user may see, across all their projects. Three queries."""
    user = _feed_user(token)
    milestones = (
        Milestone.objects.for_user(user)
        .filter(project__in=Project.objects.for_user(user))
        .select_related("project")
        .order_by("project__code", "sequence")
    )
    return _ics_response(subscription_ics(milestones, now=timezone.now()), "cmo-portal-milestones.ics")


@require_safe
def calendar_feed_project(request, token: str, pk: int):
    """One project's milestones the link's user may see; another client's project is 404."""
    user = _feed_user(token)
    try:
        project = Project.objects.for_user(user).get(pk=pk)
    except Project.DoesNotExist as missing:
        raise Http404 from missing
    milestones = Milestone.objects.for_user(user).filter(project=project).order_by("sequence")
    return _ics_response(milestones_ics(project, milestones, now=timezone.now()), f"{project.code}-milestones.ics")
