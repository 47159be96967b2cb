"""The costs page (CMO staff only): budget, actual cost, invoiced and margin; entries, invoices, CSV import."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clients import access
from core.pages import add_form_errors
from core.paging import page_of
from projects.costs import services
from projects.costs.forms import CostEntryFilterForm, CostEntryForm, CostImportForm, InvoiceForm
from projects.costs.models import CostEntry, Invoice
from projects.pages import GET_POST, posted, project_or_404, render_page


@login_required
@GET_POST
def project_costs(request, pk: int):
    """Budget, actual cost, invoiced and margin; cost entries, invoices, entry form and CSV import (staff only)."""
    project = project_or_404(request, pk)
    if not access.can_see_internal(request.user):
        raise Http404
    can_edit = access.can_edit_project(request.user, project)
    if request.method == "POST" and not can_edit:
        raise Http404
    entry_form = CostEntryForm(prefix="cost")
    import_form = CostImportForm(prefix="import")
    invoice_form = InvoiceForm(prefix="invoice")
    if posted(request, "cost"):
        entry_form = CostEntryForm(request.POST, prefix="cost")
        if entry_form.is_valid():
            try:
                services.cost_entry_create(actor=request.user, project=project, **entry_form.cleaned_data)
            except ValidationError as error:
                add_form_errors(entry_form, error)
            else:
                messages.success(request, _("Cost entry recorded."))
                return redirect("project-costs", pk=pk)
    elif posted(request, "import"):
        import_form = CostImportForm(request.POST, request.FILES, prefix="import")
        if import_form.is_valid():
            try:
                created = services.cost_entries_import_csv(
                    actor=request.user, project=project, text=import_form.cleaned_data["csv"]
                )
            except ValidationError as error:
                add_form_errors(import_form, error)
            else:
                count = len(created)
                messages.success(
                    request,
                    ngettext("Imported %(count)s cost entry.", "Imported %(count)s cost entries.", count)
                    % {"count": count},
                )
                return redirect("project-costs", pk=pk)
    elif posted(request, "invoice"):
        invoice_form = InvoiceForm(request.POST, prefix="invoice")
        if invoice_form.is_valid():
            try:
                services.invoice_create(actor=request.user, project=project, **invoice_form.cleaned_data)
            except ValidationError as error:
                add_form_errors(invoice_form, error)
            else:
                messages.success(
                    request, _("Invoice %(number)s recorded.") % {"number": invoice_form.cleaned_data["number"]}
                )
                return redirect("project-costs", pk=pk)
    elif request.method == "POST":
        return redirect("project-costs", pk=pk)

    entries = CostEntry.objects.for_user(request.user).filter(project=project)
    actual = entries.aggregate(actual=Sum("amount"))["actual"] or Decimal(0)
    invoices = Invoice.objects.for_user(request.user).filter(project=project)
    invoice_totals = invoices.aggregate(invoiced=Sum("amount"), count=Count("pk"))
    invoiced = invoice_totals["invoiced"] or Decimal(0)
    filter_form = CostEntryFilterForm(request.GET)
    filters = filter_form.filters
    if filters.get("category"):
        entries = entries.filter(category=filters["category"])
    if filters.get("since"):
        entries = entries.filter(date__gte=filters["since"])
    if filters.get("until"):
        entries = entries.filter(date__lte=filters["until"])
    entry_page = page_of(entries.select_related("created_by").order_by("-date", "-pk"), request.GET)
    invoice_page = page_of(
        invoices.order_by("-date", "-pk"), request.GET, param="invoices", count=invoice_totals["count"]
    )
    margin = project.contract_value - actual
    context = {
        "project": project,
        "can_edit": can_edit,
        "actual_cost": actual,
        "invoiced": invoiced,
        "margin": margin,
        "margin_percent": (margin / project.contract_value * 100) if project.contract_value else None,
        "budget_used_percent": (actual / project.budget * 100) if project.budget else None,
        "entries": entry_page.object_list,
        "page": entry_page,
        "filter_form": filter_form,
        "invoices": invoice_page.object_list,
        "invoice_page": invoice_page,
        "entry_form": entry_form,
        "import_form": import_form,
        "invoice_form": invoice_form,
    }
    return render_page(request, "projects/constraints/costs.html", context)
