"""Reads of documents: a project's list, one document with its versions and their verified signatures, a version
to download. Every read starts from ``for_user``: another client's or an internal document is not found (404).
Showing signatures opens no stored file: it reads the verdict of the last re-hash (nightly, on download) and asks
the storage for each signed file's size (``services.version_signature_verdict``)."""

from django.db.models import QuerySet

from projects.documents.models import Document, DocumentVersion
from projects.documents.services import stored_size, version_signature_verdict
from projects.records import Project
from projects.signatures.selectors import signatures_of_records


def project_documents(*, user, project: Project, filters: dict) -> QuerySet[Document]:
    """The project's documents the user may see, newest first, each with its current version (one query per page)."""
    documents = (
        Document.objects.for_user(user)
        .filter(project=project)
        .select_related("current", "current__uploaded_by")
        .order_by("-created_at", "-pk")
    )
    if filters.get("kind"):
        documents = documents.filter(kind=filters["kind"])
    if filters.get("status"):
        documents = documents.filter(current__status=filters["status"])
    if filters.get("visibility"):
        documents = documents.filter(visibility=filters["visibility"])
    return documents


def document_get(*, user, pk: int) -> Document:
    """One document in the user's scope, or ``Document.DoesNotExist``."""
    return (
        Document.objects.for_user(user)
        .select_related(
            "project",
            "project__client",
            "project__manager",
            "created_by",
            "current",
            "milestone",
            "batch",
            "quality_event",
            "change_request",
        )
        .get(pk=pk)
    )


def document_versions(*, user, document: Document) -> list[DocumentVersion]:
    """Every version of ``document`` (newest first), each with ``signatures``: verified on this read against the
    record, the stored verdict of the last re-hash of its file and the file's size now (no file is opened)."""
    versions = list(
        DocumentVersion.objects.for_user(user)
        .filter(document=document)
        .select_related("uploaded_by", "issued_by", "decided_by")
        .order_by("-number")
    )
    for version in versions:
        version.document = document  # the signature content reads the document and its project
    signatures = signatures_of_records(user=user, records=versions)
    for version in versions:
        version.signatures = signatures.get(version.pk, [])
        size = stored_size(version) if version.signatures else None
        for signature in version.signatures:
            signature.verdict = version_signature_verdict(signature, version, size=size)
    return versions


def version_get(*, user, pk: int) -> DocumentVersion:
    """One version in the user's scope (its document shared with a client user), or ``DoesNotExist``."""
    return (
        DocumentVersion.objects.for_user(user)
        .select_related("document", "document__project", "document__project__client")
        .get(pk=pk)
    )
