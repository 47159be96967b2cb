"""Ticking a milestone's checklist item (htmx swaps the item; a plain POST redirects to the project) and the
plan import (Microsoft Project XML or CSV: upload, preview, confirm)."""

import base64
import hashlib
import zlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from clients import access
from core.pages import add_form_errors, get_or_404
from projects.milestones import plan_import, services
from projects.milestones.forms import PlanImportConfirmForm, PlanImportForm
from projects.milestones.models import ChecklistItem
from projects.records import project_get


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


PLAN_SESSION_KEY = "plan-import:{pk}"


def _hold_plan(request, project_pk: int, data: bytes, *, filename: str, scope: str, replace: bool) -> str:
    """Keep the previewed file in the (server-side) session until it is confirmed; return its SHA-256."""
    digest = hashlib.sha256(data).hexdigest()
    request.session[PLAN_SESSION_KEY.format(pk=project_pk)] = {
        "digest": digest,
        "filename": filename[:200],
        "scope": scope,
        "replace": replace,
        "data": base64.b64encode(zlib.compress(data)).decode("ascii"),
    }
    return digest


def _held_plan(request, project_pk: int, digest: str) -> dict | None:
    held = request.session.get(PLAN_SESSION_KEY.format(pk=project_pk))
    if not isinstance(held, dict) or held.get("digest") != digest:
        return None
    return held


@login_required
@require_http_methods(["GET", "POST"])
def project_plan_import(request, pk: int):
    """Import milestones from a Microsoft Project XML or CSV plan: upload → preview (writes nothing) → confirm
    with a reason (one transaction). The project's manager and administrators only; anyone else gets 404."""
    project = get_or_404(project_get, user=request.user, pk=pk)
    if not access.can_edit_project(request.user, project):
        raise Http404
    upload_form = PlanImportForm()
    confirm_form = None
    preview = None
    held = None
    if request.method == "POST" and request.POST.get("action") == "preview":
        upload_form = PlanImportForm(request.POST, request.FILES)
        if upload_form.is_valid():
            upload = upload_form.cleaned_data["file"]
            data = upload.read()
            scope, replace = upload_form.cleaned_data["scope"], upload_form.cleaned_data["replace"]
            preview = plan_import.read_plan(data, filename=upload.name, scope=scope)
            if preview.importable:
                digest = _hold_plan(request, project.pk, data, filename=upload.name, scope=scope, replace=replace)
                confirm_form = PlanImportConfirmForm(initial={"digest": digest})
                held = {"filename": upload.name, "replace": replace}
                status = 200
            else:
                status = 400
            return _render_plan_import(request, project, upload_form, preview, confirm_form, held, status)
    elif request.method == "POST" and request.POST.get("action") == "import":
        confirm_form = PlanImportConfirmForm(request.POST)
        held = _held_plan(request, project.pk, request.POST.get("digest", ""))
        if held is None:
            messages.error(request, _("The previewed file is no longer held: choose it again."))
            return redirect("plan-import", pk=pk)
        preview = plan_import.read_plan(
            zlib.decompress(base64.b64decode(held["data"])), filename=held["filename"], scope=held["scope"]
        )
        if confirm_form.is_valid():
            try:
                created = services.milestones_import_plan(
                    actor=request.user,
                    project=project,
                    plan=preview,
                    reason=confirm_form.cleaned_data["reason"],
                    replace=held["replace"],
                )
            except ValidationError as error:
                add_form_errors(confirm_form, error)
            else:
                del request.session[PLAN_SESSION_KEY.format(pk=pk)]
                links = sum(len(row.predecessors) for row in preview.rows)
                # Two counts in one sentence: the milestones' plural form, then the dependencies' (a whole
                # sentence each way, so the word order stays the translator's).
                milestones = ngettext(
                    "Imported %(count)s milestone and %(links)s dependencies from %(file)s.",
                    "Imported %(count)s milestones and %(links)s dependencies from %(file)s.",
                    len(created),
                )
                if links == 1:
                    milestones = ngettext(
                        "Imported %(count)s milestone and %(links)s dependency from %(file)s.",
                        "Imported %(count)s milestones and %(links)s dependency from %(file)s.",
                        len(created),
                    )
                messages.success(
                    request, milestones % {"count": len(created), "links": links, "file": held["filename"]}
                )
                return redirect("project-detail", pk=pk)
        return _render_plan_import(request, project, upload_form, preview, confirm_form, held, 400)
    elif request.method == "POST":
        return redirect("plan-import", pk=pk)
    return _render_plan_import(request, project, upload_form, preview, confirm_form, held, 200)


def _render_plan_import(request, project, upload_form, preview, confirm_form, held, status: int):
    rows = []
    if preview is not None:
        names = {row.key: row.name for row in preview.rows}
        rows = [(row, [names.get(key, key) for key in row.predecessors]) for row in preview.rows]
    context = {
        "project": project,
        "upload_form": upload_form,
        "preview": preview,
        "rows": rows,
        "confirm_form": confirm_form,
        "held": held,
        "existing_count": project.milestones.count(),
        "max_tasks": plan_import.MAX_PLAN_TASKS,
    }
    return render(request, "projects/plan_import.html", context, status=status)
