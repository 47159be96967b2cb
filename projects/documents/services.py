"""Documents: upload (a new version supersedes), issue a version for client review, approve or reject it with an
e-signature; and the check, on every display, that a signed version's stored bytes are still those signed."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from clients import access
from core import events
from core.audit import audit_context
from projects.documents.file_types import FileRefused, sha256_of, sniff
from projects.documents.models import Document, DocumentVersion, VersionStatus
from projects.documents.storage import document_storage
from projects.documents.text import extract_text
from projects.notifications.services import client_approvers, notify, project_staff
from projects.records import Project, Visibility, require_editor
from projects.signatures.models import Signature, SignatureMeaning
from projects.signatures.services import (
    CHANGED,
    VALID,
    records_failed_signatures,
    signature_sign,
    signature_verdict,
)

FILE_CHANGED = "signature invalid (file changed since signed)"
RECORD_CHANGED = "signature invalid (version changed since signed)"
FILE_MISSING = "signature invalid (file missing)"
LINKS = ("milestone", "batch", "quality_event", "change_request")


def document_file_check(upload) -> None:
    """Refuse an upload that is too large or not an accepted type by its content (``ValidationError`` on ``file``);
    called before anything is written, so a refused file leaves no row and no bytes behind."""
    try:
        upload.checked = sniff(upload, name=upload.name or "", max_bytes=settings.DOCUMENT_MAX_BYTES)
    except FileRefused as refused:
        raise ValidationError({"file": [str(refused)]}) from refused


def _store_version(*, actor, document: Document, upload, number: int) -> DocumentVersion:
    if getattr(upload, "checked", None) is None:
        document_file_check(upload)
    checked = upload.checked
    document.text = extract_text(upload, checked.content_type)  # searched with the title (projects.search)
    extension = PurePath(upload.name).suffix.lower()
    name = f"projects/{document.project_id}/documents/{document.pk}/v{number}-{uuid.uuid4().hex}{extension}"
    storage = document_storage()
    upload.seek(0)
    stored = storage.save(name, upload)
    try:
        version = DocumentVersion(
            document=document,
            number=number,
            original_filename=PurePath(upload.name).name[:255],
            size=checked.size,
            sha256=checked.sha256,
            content_type=checked.content_type,
            uploaded_by=actor,
        )
        version.file.name = stored
        version.full_clean(exclude=["file"])
        version.save()
    except BaseException:
        storage.delete(stored)  # the row was refused: its bytes must not stay behind
        raise
    return version


def _check_links(project: Project, links: dict) -> None:
    for name in LINKS:
        linked = links.get(name)
        if linked is not None and linked.project_id != project.pk:
            raise ValidationError({name: ["Choose a record of this project."]})


@transaction.atomic
def document_create(
    *, actor, project: Project, title: str, kind: str, visibility: str, file, reason: str = "", **links
) -> Document:
    """The PM adds a document with its first version (a draft); the file is checked by its content first.
    ``reason``: the audit reason when the caller has a better one than the upload itself."""
    require_editor(actor, project, "adds documents")
    document_file_check(file)
    _check_links(project, links)
    with audit_context(actor=actor, reason=reason or f"Document uploaded: {title}"):
        document = Document(
            project=project,
            title=title,
            kind=kind,
            visibility=visibility,
            created_by=actor,
            **{name: links.get(name) for name in LINKS},
        )
        document.full_clean(exclude=["current"])
        document.save()
        version = _store_version(actor=actor, document=document, upload=file, number=1)
        document.current = version
        document.save(update_fields=["current", "text"])
    return document


@transaction.atomic
def document_version_add(*, actor, document: Document, file, reason: str = "") -> DocumentVersion:
    """A new upload supersedes: it becomes the current version; a version still in draft or in review is marked
    superseded (no decision can be signed on it any more); older versions stay readable."""
    document = Document.objects.select_for_update().select_related("project").get(pk=document.pk)
    require_editor(actor, document.project, "uploads new versions")
    document_file_check(file)
    number = (document.current.number if document.current_id else 0) + 1
    with audit_context(actor=actor, reason=reason or f"New version v{number} of {document.title} uploaded"):
        DocumentVersion.objects.filter(
            document=document, status__in=[VersionStatus.DRAFT, VersionStatus.IN_REVIEW]
        ).update(status=VersionStatus.SUPERSEDED)
        version = _store_version(actor=actor, document=document, upload=file, number=number)
        document.current = version
        document.save(update_fields=["current", "text"])
    return version


def _locked_version(version: DocumentVersion) -> DocumentVersion:
    return (
        DocumentVersion.objects.select_for_update(of=("self",))
        .select_related("document", "document__project")
        .get(pk=version.pk)
    )


@transaction.atomic
def document_version_issue(*, actor, version: DocumentVersion) -> DocumentVersion:
    """The PM issues the current draft of a shared document for client review: the client's approvers are notified."""
    version = _locked_version(version)
    document = version.document
    require_editor(actor, document.project, "issues documents for review")
    if document.visibility != Visibility.SHARED:
        raise ValidationError({"status": ["Share the document with the client before issuing it for review."]})
    if document.current_id != version.pk:
        raise ValidationError({"status": ["Only the current version can be issued for review."]})
    if version.status != VersionStatus.DRAFT:
        raise ValidationError({"status": [f"This version is {version.get_status_display().lower()}."]})
    with audit_context(actor=actor, reason=f"{document.title} v{version.number} issued for client review"):
        version.status = VersionStatus.IN_REVIEW
        version.issued_at = timezone.now()
        version.issued_by = actor
        version.save(update_fields=["status", "issued_at", "issued_by"])
        notify(
            recipients=client_approvers(document.project),
            kind="document_issued",
            project=document.project,
            text=f"{document.project.code}: “{document.title}” v{version.number} awaits your review.",
            url=f"/documents/{document.pk}/",
        )
        events.publish(events.DOCUMENT_ISSUED, project_id=document.project_id, record_id=version.pk)
    return version


def stored_sha256(version: DocumentVersion) -> str | None:
    """SHA-256 (hex) of the version's bytes as stored now, or None when the file is gone."""
    try:
        with document_storage().open(version.file.name, "rb") as stored:
            return sha256_of(stored)
    except (FileNotFoundError, OSError):
        return None


@records_failed_signatures
@transaction.atomic
def document_version_decide(
    *,
    actor,
    version: DocumentVersion,
    password: str,
    approve: bool,
    meaning: str | None = None,
    comment: str = "",
) -> Signature:
    """A client approver approves or rejects a version issued for review, with an e-signature (the change-request
    rules: password re-entered, meaning, content hash; lockout after failed passwords). The hash covers the version's
    identity and the SHA-256 of its bytes, which are re-read from storage and must still match before signing."""
    version = _locked_version(version)
    document = version.document
    if not access.can_sign_for_client(actor, document.project) or document.visibility != Visibility.SHARED:
        raise PermissionDenied("Only an approver of the project's client decides documents.")
    if version.status != VersionStatus.IN_REVIEW:
        verb = "approve" if approve else "reject"
        raise ValidationError({"status": [f"Cannot {verb} a version that is {version.get_status_display().lower()}."]})
    expected = SignatureMeaning.APPROVAL if approve else SignatureMeaning.REJECTION
    meaning = meaning or expected
    if meaning != expected:
        raise ValidationError({"meaning": [f"The signature's meaning for this action is “{expected}”."]})
    if stored_sha256(version) != version.sha256:
        raise ValidationError(
            {"status": ["The stored file no longer matches the file uploaded; it cannot be signed. Ask the CMO."]}
        )
    verb = "approved" if approve else "rejected"
    with audit_context(actor=actor, reason=comment.strip() or f"{document.title} v{version.number} {verb}"):
        signature = signature_sign(actor=actor, record=version, password=password, meaning=meaning)
        version.status = VersionStatus.APPROVED if approve else VersionStatus.REJECTED
        version.decided_at = signature.signed_at
        version.decided_by = actor
        version.save(update_fields=["status", "decided_at", "decided_by"])
        notify(
            recipients=project_staff(document.project),
            kind="document_decided",
            project=document.project,
            text=f"{document.project.code}: “{document.title}” v{version.number} was {verb} by {actor.display_name}.",
            url=f"/documents/{document.pk}/",
        )
    return signature


def version_signature_verdict(signature: Signature, version: DocumentVersion, *, current_sha256: str | None) -> str:
    """The signature's verdict (``signatures.services.signature_verdict``), and invalid when the stored bytes
    (``current_sha256``, re-hashed on display) are not those signed or the version's record changed."""
    verdict = signature_verdict(signature, version)
    if verdict not in (VALID, CHANGED):
        return verdict
    if current_sha256 is None:
        return FILE_MISSING
    if current_sha256 != signature.content.get("sha256") or current_sha256 != version.sha256:
        return FILE_CHANGED
    return VALID if verdict == VALID else RECORD_CHANGED
