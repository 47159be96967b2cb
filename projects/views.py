from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from clients import access
from projects import selectors
from projects.models import Project


@login_required
def project_list(request):
    """Every project in the user's scope (staff: the whole portfolio)."""
    projects = selectors.project_list(user=request.user)
    return render(
        request,
        "projects/project_list.html",
        {"projects": projects, "can_create": access.can_create_project(request.user)},
    )


@login_required
def project_detail(request, pk: int):
    try:
        project = selectors.project_get(user=request.user, pk=pk)
    except Project.DoesNotExist as missing:
        raise Http404 from missing
    return render(
        request,
        "projects/project_detail.html",
        {"project": project, "can_edit": access.can_edit_project(request.user, project)},
    )
