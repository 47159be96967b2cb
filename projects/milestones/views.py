"""Ticking a milestone's checklist item (htmx swaps the item; a plain POST redirects to the project)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from clients import access
from core.pages import get_or_404
from projects.milestones import services
from projects.milestones.models import ChecklistItem


@login_required
@require_POST
def checklist_toggle(request, pk: int):
    item = get_or_404(
        lambda user, pk: ChecklistItem.objects.for_user(user).select_related("milestone__project").get(pk=pk),
        user=request.user,
        pk=pk,
    )
    if not access.can_edit_project(request.user, item.milestone.project):
        raise Http404
    services.checklist_item_set_done(actor=request.user, item=item, done=request.POST.get("done") == "1")
    if request.htmx:
        return render(request, "projects/_checklist_item.html", {"item": item, "can_edit": True})
    return redirect("project-detail", pk=item.milestone.project_id)
