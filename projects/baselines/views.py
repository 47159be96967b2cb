"""Signing a proposed re-baseline (client approvers)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from clients import access
from core.pages import get_or_404
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
        if form.sign_with(services.baseline_decide, actor=request.user, baseline=baseline):
            messages.success(request, _("Signed. Your decision is recorded with your electronic signature."))
            return redirect("project-baselines", pk=baseline.project_id)
    proposal = selectors.baseline_proposal(user=request.user, baseline=baseline)
    return render(
        request,
        "projects/baseline_sign.html",
        {"baseline": baseline, "project": baseline.project, "form": form, "proposal": proposal},
    )
