"""The quality page: batches (outcome, right first time) and quality events with overdue CAPAs flagged."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from clients import access
from core.pages import add_form_errors, get_or_404
from core.paging import page_of
from projects.notifications.views import read_notifications_of_this_page
from projects.pages import GET_POST, posted, project_or_404, render_page
from projects.quality import services
from projects.quality.forms import BatchForm, QualityEventCloseForm, QualityEventFilterForm, QualityEventForm
from projects.quality.models import Batch, BatchOutcome, QualityEvent, QualityEventKind


@login_required
@GET_POST
def project_quality(request, pk: int):
    """Batches (outcome, right first time) and quality events with overdue CAPAs flagged; the PM's forms."""
    project = project_or_404(request, pk)
    user = request.user
    can_edit = access.can_edit_project(user, project)
    if request.method == "POST" and not can_edit:
        raise Http404
    today = timezone.localdate()
    batches_qs = Batch.objects.for_user(user).filter(project=project).order_by("planned_date", "number", "pk")
    events_qs = QualityEvent.objects.for_user(user).filter(project=project)
    batch_form = BatchForm(prefix="batch")
    event_form = QualityEventForm(prefix="event", batches=batches_qs)
    close_form = None
    if posted(request, "batch"):
        batch_form = BatchForm(request.POST, prefix="batch")
        if batch_form.is_valid():
            try:
                services.batch_create(actor=user, project=project, **batch_form.cleaned_data)
            except ValidationError as error:
                add_form_errors(batch_form, error)
            else:
                messages.success(
                    request, _("Batch %(number)s recorded.") % {"number": batch_form.cleaned_data["number"]}
                )
                return redirect("project-quality", pk=pk)
    elif posted(request, "event"):
        event_form = QualityEventForm(request.POST, prefix="event", batches=batches_qs)
        if event_form.is_valid():
            try:
                event = services.quality_event_create(actor=user, project=project, **event_form.cleaned_data)
            except ValidationError as error:
                add_form_errors(event_form, error)
            else:
                messages.success(request, _("%(reference)s recorded.") % {"reference": event.reference})
                return redirect("project-quality", pk=pk)
    elif posted(request, "close"):
        close_form = QualityEventCloseForm(request.POST)
        if close_form.is_valid():
            event = get_or_404(lambda: events_qs.get(pk=close_form.cleaned_data["event"]))
            try:
                services.quality_event_close(actor=user, event=event, closed=close_form.cleaned_data["closed"])
            except ValidationError as error:
                add_form_errors(close_form, error)
            else:
                messages.success(request, _("%(reference)s closed.") % {"reference": event.reference})
                return redirect("project-quality", pk=pk)
    elif request.method == "POST":
        return redirect("project-quality", pk=pk)

    read_notifications_of_this_page(request)
    overdue = Q(closed__isnull=True, due__lt=today)
    batch_summary = batches_qs.aggregate(
        batch_count=Count("pk"),
        released_count=Count("pk", filter=Q(outcome=BatchOutcome.RELEASED)),
        decided_count=Count("pk", filter=~Q(outcome=BatchOutcome.PENDING)),
        right_first_time_count=Count("pk", filter=~Q(outcome=BatchOutcome.PENDING) & Q(right_first_time=True)),
    )
    event_summary = events_qs.aggregate(
        open_count=Count("pk", filter=Q(closed__isnull=True)),
        overdue_count=Count("pk", filter=overdue),
        overdue_capa_count=Count("pk", filter=overdue & Q(kind=QualityEventKind.CAPA)),
    )
    batch_page = page_of(batches_qs, request.GET, param="batches", count=batch_summary["batch_count"])
    filter_form = QualityEventFilterForm(request.GET, for_client=access.is_client_user(user))
    filters = filter_form.filters
    listed = events_qs.select_related("batch")
    if filters.get("status"):
        listed = listed.filter(closed__isnull=filters["status"] == "open")
    for name in ("kind", "severity", "visibility"):
        if filters.get(name):
            listed = listed.filter(**{name: filters[name]})
    if filters.get("overdue"):
        listed = listed.filter(overdue)
    event_page = page_of(listed.order_by(F("closed").desc(nulls_first=True), "-opened", "-pk"), request.GET)
    for event in event_page.object_list:
        event.overdue = event.is_overdue(today)
    decided = batch_summary["decided_count"]
    context = {
        "project": project,
        "can_edit": can_edit,
        "today": today,
        "batches": batch_page.object_list,
        "batch_page": batch_page,
        "events": event_page.object_list,
        "page": event_page,
        "filter_form": filter_form,
        **batch_summary,
        "rft_percent": (batch_summary["right_first_time_count"] * 100 / decided) if decided else None,
        **event_summary,
        "batch_form": batch_form,
        "event_form": event_form,
        "close_form": close_form,
    }
    return render_page(request, "projects/constraints/quality.html", context)
