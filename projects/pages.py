"""What the pages of a project's records share.

The project in scope (another client's answers 404), one ``action`` per posted form, 400 with the
form's errors and the money field of their forms.
"""

from django import forms
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from core.pages import get_or_404
from projects.records import Project, project_get

GET_POST = require_http_methods(["GET", "POST"])


def project_or_404(request, pk: int) -> Project:
    return get_or_404(project_get, user=request.user, pk=pk)


def posted(request, action: str) -> bool:
    return request.method == "POST" and request.POST.get("action") == action


def render_page(request, template: str, context: dict):
    """A POST that reaches the render failed validation: answer 400 with the form and its errors."""
    return render(request, template, context, status=400 if request.method == "POST" else 200)


def posted_id(request, name: str) -> int:
    try:
        return int(request.POST.get(name, ""))
    except ValueError as error:
        raise Http404 from error


def money_field(**kwargs) -> forms.DecimalField:
    """An amount in the project's currency (the money columns: 14 digits, 2 decimals)."""
    return forms.DecimalField(max_digits=14, decimal_places=2, **kwargs)
