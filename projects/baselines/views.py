"""Signing a proposed re-baseline (client approvers)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render

from clients import access
from core.pages import add_form_errors, get_or_404
from projects.baselines import selectors, services
from projects.signatures.forms import SignForm


@login_required
def baseline_sign(request, pk: int):
    """A client approver signs (approves or rejects) a proposed re-baseline, re-entering the password."""
    baseline = get_or_404(selectors.baseline_get, user=request.user, pk=pk)
    if not access.can_sign_for_client(request.user, baseline.project):
        raise Http404
    form = SignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.baseline_decide(
                actor=request.user,
                baseline=baseline,
                password=form.cleaned_data["password"],
                approve=form.cleaned_data["decision"] == "approve",
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            add_form_errors(form, error)
        except PermissionDenied as denied:
            raise Http404 from denied
        else:
            messages.success(request, "Signed. The decision is recorded in the audit trail.")
            return redirect("project-baselines", pk=baseline.project_id)
    proposal = selectors.baseline_proposal(user=request.user, baseline=baseline)
    return render(
        request,
        "projects/baseline_sign.html",
        {"baseline": baseline, "project": baseline.project, "form": form, "proposal": proposal},
    )
