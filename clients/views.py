from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from clients import access
from projects import selectors as project_selectors


@login_required
def home(request):
    """Land each role where its work is: clients on their dashboard, staff on projects."""
    if access.is_client_user(request.user):
        return redirect("dashboard")
    return redirect("project-list")


@login_required
def dashboard(request):
    """A client user's own projects (CMO staff use the project list instead)."""
    if not access.is_client_user(request.user):
        raise Http404
    projects = project_selectors.project_list(user=request.user)
    return render(request, "clients/dashboard.html", {"projects": projects, "client": request.user.client})
