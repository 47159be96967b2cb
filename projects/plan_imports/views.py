"""The page "New project from a plan": the project's fields and a plan file → preview (writes nothing) → confirm
with the reason (the project and its milestones in one transaction).

Between preview and confirm, the file and the project's fields as entered are held in the server-side session under
a SHA-256 of both, as the existing project's import holds its file (``projects.milestones.views``): the confirm
form posts only that digest and the reason, so nothing the browser sends after the preview changes what is
created. On confirm the held fields are validated and the held file parsed and checked again; a preview replaced
by another one (a second tab) or already imported is no longer held and creates nothing.
"""

import base64
import hashlib
import json
import zlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from clients import access
from core.pages import add_form_errors
from projects.milestones import plan_import
from projects.milestones.forms import PlanImportConfirmForm, PlanImportForm
from projects.plan_imports import services
from projects.plan_imports.forms import PlanProjectForm

SESSION_KEY = "plan-import:new"


def _digest(data: bytes, project: dict[str, str], scope: str) -> str:
    canonical = json.dumps({"project": project, "scope": scope}, sort_keys=True).encode()
    return hashlib.sha256(hashlib.sha256(data).digest() + canonical).hexdigest()


def _hold(request, data: bytes, *, filename: str, scope: str, project: dict[str, str]) -> str:
    digest = _digest(data, project, scope)
    request.session[SESSION_KEY] = {
        "digest": digest,
        "filename": filename[:200],
        "scope": scope,
        "project": project,
        "data": base64.b64encode(zlib.compress(data)).decode("ascii"),
    }
    return digest


def _held(request, digest: str) -> dict | None:
    held = request.session.get(SESSION_KEY)
    if not isinstance(held, dict) or not digest or held.get("digest") != digest:
        return None
    return held


def _entered(form: PlanProjectForm) -> dict[str, str]:
    """The project's fields as the browser sent them (validated again on confirm)."""
    return {name: form.data.get(name, "") for name in form.fields}


def _route_errors(error: ValidationError, project_form, confirm_form) -> None:
    """A service's refusal: the project's fields on the project form, the file and the reason on the confirm form."""
    if not hasattr(error, "error_dict"):
        add_form_errors(confirm_form, error)
        return
    for field, texts in error.message_dict.items():
        form = project_form if field in project_form.fields else confirm_form
        form.add_error(field if field in form.fields else None, texts)


@login_required
@require_http_methods(["GET", "POST"])
def project_create_from_plan(request):
    """Whoever may create projects (PMs, administrators); anyone else gets 404."""
    if not access.can_create_project(request.user):
        raise Http404
    action = request.POST.get("action") if request.method == "POST" else None
    if request.method == "POST" and action not in ("preview", "import"):
        return redirect("plan-import-new")
    project_form = PlanProjectForm(user=request.user)
    upload_form = PlanImportForm()
    preview = confirm_form = held = project = None
    if action == "preview":
        project_form = PlanProjectForm(request.POST, user=request.user)
        upload_form = PlanImportForm(request.POST, request.FILES)
        data = b""
        if upload_form.is_valid():
            upload = upload_form.cleaned_data["file"]
            data = upload.read()
            preview = plan_import.read_plan(data, filename=upload.name, scope=upload_form.cleaned_data["scope"])
        if project_form.is_valid() and preview is not None and preview.importable:
            try:
                project = services.project_from_plan_check(
                    actor=request.user, plan=preview, **project_form.project_fields()
                )
            except ValidationError as error:
                add_form_errors(project_form, error)
            else:
                filename, scope = upload_form.cleaned_data["file"].name, upload_form.cleaned_data["scope"]
                entered = _entered(project_form)
                digest = _hold(request, data, filename=filename, scope=scope, project=entered)
                confirm_form = PlanImportConfirmForm(initial={"digest": digest})
                held = {"filename": filename}
        return _render(request, project_form, upload_form, preview, project, confirm_form, held)
    if action == "import":
        held = _held(request, request.POST.get("digest", ""))
        if held is None:
            messages.error(
                request, _("The previewed plan is no longer held (it was imported or replaced): preview it again.")
            )
            return redirect("plan-import-new")
        project_form = PlanProjectForm(held["project"], user=request.user)
        preview = plan_import.read_plan(
            zlib.decompress(base64.b64decode(held["data"])), filename=held["filename"], scope=held["scope"]
        )
        confirm_form = PlanImportConfirmForm(request.POST)
        if project_form.is_valid() and confirm_form.is_valid():
            fields = project_form.project_fields()
            try:
                project, created = services.project_create_from_plan(
                    actor=request.user, plan=preview, reason=confirm_form.cleaned_data["reason"], **fields
                )
            except ValidationError as error:
                _route_errors(error, project_form, confirm_form)
            else:
                del request.session[SESSION_KEY]
                links = sum(len(row.predecessors) for row in preview.rows)
                messages.success(request, _created_message(project.code, len(created), links, held["filename"]))
                return redirect("project-detail", pk=project.pk)
        if not project_form.errors:
            try:
                project = services.project_from_plan_check(
                    actor=request.user, plan=preview, **project_form.project_fields()
                )
            except ValidationError as error:
                add_form_errors(project_form, error)
        if project_form.errors:  # the held fields no longer pass (a code taken since, a client deactivated)
            confirm_form = None  # preview again, with the fields corrected
        return _render(request, project_form, upload_form, preview, project, confirm_form, held)
    return _render(request, project_form, upload_form, preview, project, confirm_form, held)


def _created_message(code: str, milestones: int, links: int, filename: str) -> str:
    return (
        ngettext(
            "%(code)s created with %(count)s milestone from %(file)s.",
            "%(code)s created with %(count)s milestones from %(file)s.",
            milestones,
        )
        % {"code": code, "count": milestones, "file": filename}
        + " "
        + ngettext("%(count)s dependency imported.", "%(count)s dependencies imported.", links) % {"count": links}
    )


def _render(request, project_form, upload_form, preview, project, confirm_form, held):
    rows = []
    if preview is not None:
        names = {row.key: row.name for row in preview.rows}
        rows = [(row, [names.get(key, key) for key in row.predecessors]) for row in preview.rows]
    if confirm_form is not None:
        confirm_form.fields["reason"].help_text = _("Recorded in the audit trail with the project and every milestone.")
    ok = not project_form.errors and not upload_form.errors and (preview is None or preview.importable)
    if confirm_form is not None and confirm_form.errors:
        ok = False
    context = {
        "project_form": project_form,
        "upload_form": upload_form,
        "preview": preview,
        "rows": rows,
        "project": project,
        "confirm_form": confirm_form,
        "held": held,
        "max_tasks": plan_import.MAX_PLAN_TASKS,
    }
    return render(request, "projects/plan_import_new.html", context, status=200 if ok else 400)
