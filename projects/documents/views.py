"""Document pages: the project's documents with the upload form; one document with its versions, the PM's new
version and issue actions and the client approver's review and signature; downloads through the access layer."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from clients import access
from clients.models import SecurityEventKind
from clients.security import security_event_record
from core.pages import add_form_errors, get_or_404
from core.paging import page_of
from projects.documents import selectors, services
from projects.documents.forms import DocumentFilterForm, DocumentUploadForm, DocumentVersionForm
from projects.documents.models import DocumentVersion, VersionStatus
from projects.documents.storage import document_storage
from projects.notifications.views import read_notifications_of_this_page
from projects.pages import GET_POST, posted, project_or_404, render_page
from projects.records import Visibility
from projects.signatures.forms import SignForm


@login_required
@GET_POST
def project_documents(request, pk: int):
    """The project's documents (clients: shared ones), filtered by kind and status, and the PM's upload form."""
    project = project_or_404(request, pk)
    can_edit = access.can_edit_project(request.user, project)
    form = DocumentUploadForm(project=project) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            raise Http404
        form = DocumentUploadForm(request.POST, request.FILES, project=project)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                document = services.document_create(actor=request.user, project=project, **data)
            except ValidationError as error:
                add_form_errors(form, error)
            else:
                messages.success(request, _("“%(title)s” uploaded as version 1.") % {"title": document.title})
                return redirect("document-detail", pk=document.pk)
    filter_form = DocumentFilterForm(request.GET, for_client=access.is_client_user(request.user))
    documents = selectors.project_documents(user=request.user, project=project, filters=filter_form.filters)
    page = page_of(documents, request.GET)
    context = {
        "project": project,
        "documents": page.object_list,
        "page": page,
        "filter_form": filter_form,
        "can_edit": can_edit,
        "form": form,
    }
    return render_page(request, "projects/documents/documents.html", context)


@login_required
@GET_POST
def document_detail(request, pk: int):
    """One document: its version history (each signature verified against the stored bytes), the PM's new upload
    and issue-for-review, and the client approver's review and e-signature of the version in review."""
    document = get_or_404(selectors.document_get, user=request.user, pk=pk)
    project = document.project
    can_edit = access.can_edit_project(request.user, project)
    may_sign = access.can_sign_for_client(request.user, project)
    version_form = DocumentVersionForm() if can_edit else None
    sign_form = SignForm()
    if request.method == "POST":
        if posted(request, "upload"):
            if not can_edit:
                raise Http404
            version_form = DocumentVersionForm(request.POST, request.FILES)
            if version_form.is_valid():
                try:
                    version = services.document_version_add(
                        actor=request.user, document=document, file=version_form.cleaned_data["file"]
                    )
                except ValidationError as error:
                    add_form_errors(version_form, error)
                else:
                    messages.success(
                        request,
                        _("Version %(number)s uploaded; it is now the current version.") % {"number": version.number},
                    )
                    return redirect("document-detail", pk=document.pk)
        elif posted(request, "issue"):
            if not can_edit:
                raise Http404
            try:
                services.document_version_issue(actor=request.user, version=document.current)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request,
                    _("Issued to %(client)s for review; their approvers are notified.")
                    % {"client": project.client.name},
                )
            return redirect("document-detail", pk=document.pk)
        elif posted(request, "sign"):
            if not may_sign:
                raise Http404
            sign_form = SignForm(request.POST)
            if sign_form.is_valid() and sign_form.sign_with(
                services.document_version_decide, actor=request.user, version=document.current
            ):
                signed = (
                    _("Signed: version %(number)s approved.")
                    if sign_form.approves
                    else _("Signed: version %(number)s rejected.")
                )
                messages.success(request, signed % {"number": document.current.number})
                return redirect("document-detail", pk=document.pk)
        else:
            raise Http404
    read_notifications_of_this_page(request)
    versions = selectors.document_versions(user=request.user, document=document)
    current = versions[0] if versions else None
    in_review = current is not None and current.status == VersionStatus.IN_REVIEW
    context = {
        "project": project,
        "document": document,
        "versions": versions,
        "current": current,
        "can_edit": can_edit,
        "can_issue": can_edit
        and document.visibility == Visibility.SHARED
        and current is not None
        and current.status == VersionStatus.DRAFT,
        "can_sign": may_sign and in_review,
        "in_review": in_review,
        "version_form": version_form,
        "form": sign_form,
        "max_mb": settings.DOCUMENT_MAX_BYTES // (1024 * 1024),
    }
    return render_page(request, "projects/documents/document_detail.html", context)


def version_file_response(request, version: DocumentVersion) -> FileResponse:
    """Stream a version's stored file as an attachment (never rendered by the browser), recording the download.
    The file is re-hashed first: a changed file is still served, and its signatures show invalid from then on."""
    services.version_integrity_check(version)
    try:
        stored = document_storage().open(version.file.name, "rb")
    except (FileNotFoundError, OSError) as error:
        raise Http404 from error
    security_event_record(
        kind=SecurityEventKind.EXPORT,
        request=request,
        user=request.user,
        export="document download",
        project=version.document.project.code,
        document=version.document_id,
        version=version.number,
        filename=version.original_filename,
        sha256=version.sha256,
    )
    response = FileResponse(
        stored, as_attachment=True, filename=version.original_filename, content_type=version.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def document_version_download(request, pk: int):
    """A version's file, for whoever may read its document (anyone else: 404); every download is a security event."""
    version = get_or_404(selectors.version_get, user=request.user, pk=pk)
    return version_file_response(request, version)
