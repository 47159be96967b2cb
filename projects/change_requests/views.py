"""Change-request pages: the project's list with the draft form, and one request (submit, withdraw, sign)."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from clients import access
from core.pages import add_form_errors, get_or_404
from core.paging import page_of
from projects import extensions
from projects.change_requests import services
from projects.change_requests.forms import ChangeRequestFilterForm, ChangeRequestForm
from projects.change_requests.models import ChangeRequest, ChangeRequestStatus
from projects.costs.models import Invoice
from projects.milestones.models import Milestone
from projects.notifications.views import read_notifications_of_this_page
from projects.pages import GET_POST, project_or_404, render_page
from projects.signatures.forms import SignForm
from projects.signatures.selectors import signatures_for
from projects.signatures.services import signature_verdict

PENDING_SHOWN = 5  # "awaits your decision" call-outs; the rest are in the list (filter: awaiting decision)


@login_required
@GET_POST
def project_change_requests(request, pk: int):
    """The project's change requests (clients: submitted and decided ones only) and the PM's draft form."""
    project = project_or_404(request, pk)
    can_edit = access.can_edit_project(request.user, project)
    open_milestones = project.milestones.filter(actual_date__isnull=True).order_by("sequence")
    form = ChangeRequestForm(open_milestones=open_milestones)
    if request.method == "POST":
        if not can_edit:
            raise Http404
        form = ChangeRequestForm(request.POST, open_milestones=open_milestones)
        if form.is_valid():
            try:
                change = services.change_request_create(actor=request.user, project=project, **form.cleaned_data)
            except ValidationError as error:
                add_form_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Draft CR-%(number)s saved. Submit it when it is ready for the client.")
                    % {"number": change.number},
                )
                return redirect("change-request-detail", pk=change.pk)
    changes = ChangeRequest.objects.for_user(request.user).filter(project=project)
    approved = Q(status=ChangeRequestStatus.APPROVED)
    summary = changes.aggregate(
        approved_days=Sum("schedule_impact_days", filter=approved, default=0),
        approved_cost=Sum("cost_impact", filter=approved, default=Decimal(0)),
        pending_count=Count("pk", filter=Q(status=ChangeRequestStatus.SUBMITTED)),
    )
    pending = list(changes.filter(status=ChangeRequestStatus.SUBMITTED).order_by("-number")[:PENDING_SHOWN])
    filter_form = ChangeRequestFilterForm(request.GET, for_client=access.is_client_user(request.user))
    listed = changes.select_related("created_by", "decided_by")
    if filter_form.filters.get("status"):
        listed = listed.filter(status=filter_form.filters["status"])
    page = page_of(listed.order_by("-number", "-pk"), request.GET)
    invoices = Invoice.objects.for_user(request.user).filter(project=project)
    invoice_totals = invoices.aggregate(invoiced=Sum("amount", default=Decimal(0)), count=Count("pk"))
    invoice_page = page_of(
        invoices.order_by("-date", "-pk"), request.GET, param="invoices", count=invoice_totals["count"]
    )
    context = {
        "project": project,
        "can_edit": can_edit,
        "can_sign": access.can_sign_for_client(request.user, project),
        "changes": page.object_list,
        "page": page,
        "filter_form": filter_form,
        "pending": pending,
        **summary,
        "invoices": invoice_page.object_list,
        "invoice_page": invoice_page,
        "invoiced": invoice_totals["invoiced"],
        "form": form,
    }
    return render_page(request, "projects/constraints/change_requests.html", context)


def _change_get(*, user, pk: int) -> ChangeRequest:
    return (
        ChangeRequest.objects.for_user(user)
        .select_related("project", "project__client", "project__manager", "created_by", "decided_by")
        .get(pk=pk)
    )


@login_required
@GET_POST
def change_request_detail(request, pk: int):
    """One change request: its impacts and signatures; the PM submits or withdraws, the client's approver signs."""
    change = get_or_404(_change_get, user=request.user, pk=pk)
    project = change.project
    can_edit = access.can_edit_project(request.user, project)
    can_sign = access.can_sign_for_client(request.user, project) and change.status == ChangeRequestStatus.SUBMITTED
    form = SignForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action in ("submit", "withdraw"):
            if not can_edit:
                raise Http404
            try:
                if action == "submit":
                    services.change_request_submit(actor=request.user, change=change)
                    messages.success(
                        request,
                        _("CR-%(number)s sent to %(client)s for decision.")
                        % {"number": change.number, "client": project.client.name},
                    )
                else:
                    services.change_request_withdraw(actor=request.user, change=change)
                    messages.success(request, _("CR-%(number)s withdrawn.") % {"number": change.number})
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            return redirect("change-request-detail", pk=change.pk)
        if action != "sign" or not access.can_sign_for_client(request.user, project):
            raise Http404
        form = SignForm(request.POST)
        if form.is_valid() and form.sign_with(services.change_request_decide, actor=request.user, change=change):
            signed = (
                _("Signed: CR-%(number)s approved, with your electronic signature.")
                if form.approves
                else _("Signed: CR-%(number)s rejected, with your electronic signature.")
            )
            messages.success(request, signed % {"number": change.number})
            return redirect("change-request-detail", pk=change.pk)
    read_notifications_of_this_page(request)
    pending = change.status in (ChangeRequestStatus.DRAFT, ChangeRequestStatus.SUBMITTED)
    affected = []
    if pending:
        visible = Milestone.objects.for_user(request.user).filter(project=project).order_by("sequence")
        affected = services.change_request_moves(change, visible)
    signatures = signatures_for(user=request.user, record=change)
    for signature in signatures:
        signature.verdict = signature_verdict(signature, change)
    context = {
        "change": change,
        "project": project,
        "can_edit": can_edit,
        "can_sign": can_sign,
        "pending": pending,
        "affected": affected,
        "moves_chosen": change.moved_milestone_ids() is not None,
        "budget_after": project.budget + change.cost_impact,
        "signatures": signatures,
        "form": form,
        "what_if": None,
        **(extensions.merged(extensions.CHANGE_REQUEST_PAGE, request.user, change) if pending else {}),
    }
    return render_page(request, "projects/constraints/change_request_detail.html", context)
