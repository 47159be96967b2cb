"""Calendar pages: a project's milestones as .ics (session), and the subscribed feeds.

Subscribed feeds need no session: a secret link per user (see clients.services).

The link only says *who* is asking; what they see goes through the same ``for_user``
scoping as every other page. Unknown, revoked or inactive → 404, never a login redirect.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from clients import services
from clients.languages import language_of
from clients.models import CalendarFeedToken
from clients.services import calendar_feed_token_use
from core.pages import get_or_404
from projects.calendar.calendar_feed import milestones_ics, subscription_ics
from projects.milestones.models import Milestone
from projects.records import Project, project_get


def _feed_user(token: str):
    user = calendar_feed_token_use(secret=token)
    if user is None:
        raise Http404
    return user


def _ics_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar")
    response["Content-Disposition"] = content_disposition_header(False, filename)  # a code may hold any character
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
    with translation.override(language_of(user)):  # no session: the words in the link's user's language
        body = subscription_ics(milestones, now=timezone.now())
    return _ics_response(body, "cmo-portal-milestones.ics")


@require_safe
def calendar_feed_project(request, token: str, pk: int):
    """One project's milestones the link's user may see; another client's project is 404."""
    user = _feed_user(token)
    try:
        project = Project.objects.for_user(user).get(pk=pk)
    except Project.DoesNotExist as missing:
        raise Http404 from missing
    milestones = Milestone.objects.for_user(user).filter(project=project).order_by("sequence")
    with translation.override(language_of(user)):
        body = milestones_ics(project, milestones, now=timezone.now())
    return _ics_response(body, f"{project.code}-milestones.ics")


@never_cache
@login_required
def calendar_subscription(request):
    """The user's secret calendar link: create or reset it (the old link stops working) or turn it off.

    Only a fingerprint of the secret is stored, so the link is shown once, right after it is made.
    """
    new_links = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "reset":
            _token, secret = services.calendar_feed_token_issue(actor=request.user, user=request.user)
            projects = Project.objects.for_user(request.user).only("pk", "code", "name").order_by("code")

            def link(name: str, **kwargs) -> str:
                return request.build_absolute_uri(reverse(name, kwargs={"token": secret, **kwargs}))

            new_links = {
                "all": link("calendar-feed"),
                "projects": [(p, link("calendar-feed-project", pk=p.pk)) for p in projects],
            }
        elif action == "revoke":
            if services.calendar_feed_token_revoke(actor=request.user, user=request.user):
                messages.success(request, _("Your calendar link is turned off. Calendar apps using it stop updating."))
            return redirect("calendar-subscription")
        else:
            messages.error(request, _("Choose “Reset link” or “Turn off”."))
            return redirect("calendar-subscription")
    current = CalendarFeedToken.objects.active().filter(user=request.user).first()
    return render(request, "clients/calendar.html", {"current": current, "new_links": new_links})


@login_required
def project_calendar(request, pk: int):
    """The milestones the user may see, as an iCalendar file."""
    project = get_or_404(project_get, user=request.user, pk=pk)
    milestones = Milestone.objects.for_user(request.user).filter(project=project).order_by("sequence")
    response = HttpResponse(milestones_ics(project, milestones, now=timezone.now()), content_type="text/calendar")
    response["Content-Disposition"] = content_disposition_header(True, f"{project.code}-milestones.ics")
    return response
