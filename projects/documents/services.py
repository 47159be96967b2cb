"""Documents: upload (a new version supersedes), issue a version for client review, approve or reject it with an
e-signature; the text of the current version read after the upload committed (a worker); and the integrity of the
stored files: re-hashed nightly, on download and before signing, the verdict kept on the version for every display.
"""

import logging
import time
import uuid
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from clients import access
from core import events
from core.audit import audit_context
from core.broker import send_task_safely
from core.phrases import phrase
from projects.documents.file_types import FileRefused, sha256_of, sniff
from projects.documents.models import Document, DocumentVersion, VersionStatus
from projects.documents.storage import document_storage
from projects.documents.text import extract_text
from projects.notifications.services import client_approvers, notify, project_staff
from projects.records import Project, Visibility, require_editor
from projects.signatures.models import Signature, SignatureMeaning
from projects.signatures.services import (
    CHANGED,
    FILE_CHANGED,
    FILE_MISSING,
    RECORD_CHANGED,
    VALID,
    records_failed_signatures,
    signature_sign,
    signature_verdict,
)

LINKS = ("milestone", "batch", "quality_event", "change_request")
EXTRACT_TEXT_TASK = "projects.tasks.extract_document_text"
INTEGRITY_BATCH = 500
INTEGRITY_TIME_BUDGET = 420.0  # seconds of one nightly run (the task's soft limit is 480)

logger = logging.getLogger(__name__)


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
            integrity_checked_at=timezone.now(),  # the bytes stored are the bytes just hashed
            integrity_ok=True,
        )
        version.file.name = stored
        version.full_clean(exclude=["file"])
        version.save()
    except BaseException:
        storage.delete(stored)  # the row was refused: its bytes must not stay behind
        raise
    # The text is read by a worker once the upload is committed (never inside the upload's transaction: a slow or
    # hostile file must not hold it); searched with the title (projects.search) from then on.
    document_id = document.pk
    transaction.on_commit(lambda: send_task_safely(EXTRACT_TEXT_TASK, document_id))
    return version


def _check_links(project: Project, links: dict) -> None:
    for name in LINKS:
        linked = links.get(name)
        if linked is not None and linked.project_id != project.pk:
            raise ValidationError({name: [_("Choose a record of this project.")]})


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
        document.save(update_fields=["current"])
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
        document.text = ""  # the superseded version's text is not this one's: read again after commit
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
        raise ValidationError({"status": [_("Share the document with the client before issuing it for review.")]})
    if document.current_id != version.pk:
        raise ValidationError({"status": [_("Only the current version can be issued for review.")]})
    if version.status != VersionStatus.DRAFT:
        status = str(version.get_status_display()).lower()
        raise ValidationError({"status": [_("This version is %(status)s.") % {"status": status}]})
    with audit_context(actor=actor, reason=f"{document.title} v{version.number} issued for client review"):
        version.status = VersionStatus.IN_REVIEW
        version.issued_at = timezone.now()
        version.issued_by = actor
        version.save(update_fields=["status", "issued_at", "issued_by"])
        notify(
            recipients=client_approvers(document.project),
            kind="document_issued",
            project=document.project,
            text=phrase(
                gettext_noop("%(code)s: “%(title)s” v%(number)s awaits your review."),
                code=document.project.code,
                title=document.title,
                number=str(version.number),
            ),
            url=f"/documents/{document.pk}/",
        )
        events.publish(events.DOCUMENT_ISSUED, project_id=document.project_id, record_id=version.pk)
    return version


def stored_sha256(version: DocumentVersion) -> str | None:
    """SHA-256 (hex) of the version's bytes as stored now (streamed in chunks), or None when the file is gone."""
    try:
        with document_storage().open(version.file.name, "rb") as stored:
            return sha256_of(stored)
    except (FileNotFoundError, OSError):
        return None


def stored_size(version: DocumentVersion) -> int | None:
    """The stored file's size in bytes, asked of the storage without opening the file (a ``stat``; on S3 a HEAD),
    or None when the file is gone."""
    try:
        return document_storage().size(version.file.name)
    except (FileNotFoundError, OSError):
        return None
    except Exception:  # an object store answers "not found" with errors of its own (botocore's ClientError)
        logger.warning("Size of stored document file %s not read", version.file.name, exc_info=True)
        return None


def _record_integrity(pks: list[int], *, ok: bool, now) -> None:
    """Store the verdict of these versions in one statement. The check's time is not audited; a verdict that
    changes (a file found changed, or restored) is, with the reason (``DocumentVersion``'s trigger condition)."""
    if not pks:
        return
    reason = (
        "Stored document file checked: its SHA-256 matches the upload"
        if ok
        else "Stored document file checked: missing, or its SHA-256 no longer matches the upload"
    )
    with audit_context(reason=reason):
        DocumentVersion.objects.filter(pk__in=pks).update(integrity_ok=ok, integrity_checked_at=now)


def version_integrity_check(version: DocumentVersion) -> bool:
    """Re-hash the version's stored file (streamed) and keep the verdict on the version: True when its bytes are
    still those uploaded. Called before a download is served, so a changed file shows as such from then on."""
    ok = stored_sha256(version) == version.sha256
    now = timezone.now()
    _record_integrity([version.pk], ok=ok, now=now)
    version.integrity_ok, version.integrity_checked_at = ok, now
    if not ok:
        logger.error("Document version %s: stored file missing or changed since upload", version.pk)
    return ok


def _rehash(version: DocumentVersion) -> bool | None:
    """The nightly verdict of one file: True (the bytes uploaded), False (changed or gone), None (the storage failed
    otherwise, e.g. an object store's outage: no verdict is stored, so an outage never marks every file changed)."""
    try:
        return stored_sha256(version) == version.sha256
    except Exception:
        logger.warning("Document version %s: stored file not read; checked at the next run", version.pk, exc_info=True)
        return None


@dataclass(frozen=True)
class IntegrityRun:
    checked: int
    failed: list[int]  # ids of versions whose stored file is missing or changed


def signed_versions():
    """Every version that carries an e-signature (a set: one query, whatever the number of signatures)."""
    signed = Signature.objects.filter(content_type=ContentType.objects.get_for_model(DocumentVersion))
    return DocumentVersion.objects.filter(pk__in=signed.values("object_id"))


def document_files_verify(
    *, batch_size: int = INTEGRITY_BATCH, time_budget: float = INTEGRITY_TIME_BUDGET
) -> IntegrityRun:
    """The nightly check (beat, ``projects.tasks.verify_document_files``): every signed version's stored file is
    re-hashed (streamed in chunks) and the verdicts are stored a batch at a time: one query reads a batch (those not
    checked since this run started, least recently checked first), one statement per verdict writes it. A run that
    reaches ``time_budget`` seconds stops after its batch; the next one goes on with the files checked least
    recently. Idempotent: a second run stores the same verdicts."""
    started = timezone.now()
    deadline = time.monotonic() + time_budget
    checked, failed, unread = 0, [], []
    due = signed_versions().filter(Q(integrity_checked_at__isnull=True) | Q(integrity_checked_at__lt=started))
    with audit_context(channel="task"):
        while True:
            batch = list(
                due.exclude(pk__in=unread)
                .order_by(F("integrity_checked_at").asc(nulls_first=True), "pk")
                .only("pk", "file", "sha256")[:batch_size]
            )
            if not batch:
                break
            verdicts = {version.pk: _rehash(version) for version in batch}
            now = max(timezone.now(), started)  # never before the run's start: a batch is never read twice
            bad = [pk for pk, ok in verdicts.items() if ok is False]
            _record_integrity([pk for pk, ok in verdicts.items() if ok], ok=True, now=now)
            _record_integrity(bad, ok=False, now=now)
            unread += [pk for pk, ok in verdicts.items() if ok is None]  # the storage failed: no verdict, next run
            checked += sum(ok is not None for ok in verdicts.values())
            failed += bad
            if time.monotonic() > deadline:
                logger.warning("Document integrity: time budget spent after %s versions; the next run goes on", checked)
                break
    if failed:
        logger.error(
            "Document integrity: %s of %s signed versions missing or changed: %s", len(failed), checked, failed
        )
    return IntegrityRun(checked=checked, failed=failed)


# --- The searchable text, read after the upload committed ------------------------------------------------------


def document_text_extract(*, document_id: int) -> bool:
    """Read the current version's text into ``Document.text`` (``projects.tasks.extract_document_text``, after the
    upload committed; the sweep for those a down broker missed). Idempotent: a document whose current version's text
    is already read is left alone, and a newer upload while reading wins (the write is conditional on it still being
    current). A file whose text cannot be read gives "" (found by its title); False when nothing was written."""
    document = Document.objects.select_related("current").filter(pk=document_id).first()
    if document is None or document.current is None or document.text_version_id == document.current_id:
        return False
    version = document.current
    try:
        with document_storage().open(version.file.name, "rb") as stored:
            text = extract_text(stored, version.content_type)
    except (FileNotFoundError, OSError):
        logger.warning("Document %s v%s: stored file not found, no text read", document_id, version.number)
        text = ""
    written = Document.objects.filter(pk=document_id, current_id=version.pk).update(text=text, text_version=version)
    return bool(written)


def documents_without_text(limit: int = 100) -> list[int]:
    """Documents whose current version's text is not read yet (the upload's task was never sent or never ran)."""
    pending = Document.objects.filter(current__isnull=False).filter(
        Q(text_version__isnull=True) | ~Q(text_version=F("current"))
    )
    return list(pending.order_by("pk").values_list("pk", flat=True)[:limit])


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
        raise PermissionDenied(_("Only an approver of the project's client decides documents."))
    if version.status != VersionStatus.IN_REVIEW:
        status = str(version.get_status_display()).lower()
        refusal = (
            _("Cannot approve a version that is %(status)s.")
            if approve
            else _("Cannot reject a version that is %(status)s.")
        )
        raise ValidationError({"status": [refusal % {"status": status}]})
    expected = SignatureMeaning.APPROVAL if approve else SignatureMeaning.REJECTION
    meaning = meaning or expected
    if meaning != expected:
        raise ValidationError(
            {"meaning": [_("The signature's meaning for this action is “%(meaning)s”.") % {"meaning": expected}]}
        )
    if stored_sha256(version) != version.sha256:
        raise ValidationError(
            {"status": [_("The stored file no longer matches the file uploaded; it cannot be signed. Ask the CMO.")]}
        )
    verb = "approved" if approve else "rejected"
    with audit_context(actor=actor, reason=comment.strip() or f"{document.title} v{version.number} {verb}"):
        signature = signature_sign(actor=actor, record=version, password=password, meaning=meaning)
        version.status = VersionStatus.APPROVED if approve else VersionStatus.REJECTED
        version.decided_at = signature.signed_at
        version.decided_by = actor
        version.integrity_ok = True  # re-hashed just above, under the row lock
        version.integrity_checked_at = timezone.now()
        version.save(update_fields=["status", "decided_at", "decided_by", "integrity_ok", "integrity_checked_at"])
        notify(
            recipients=project_staff(document.project),
            kind="document_decided",
            project=document.project,
            text=phrase(
                gettext_noop("%(code)s: “%(title)s” v%(number)s was approved by %(name)s.")
                if approve
                else gettext_noop("%(code)s: “%(title)s” v%(number)s was rejected by %(name)s."),
                code=document.project.code,
                title=document.title,
                number=str(version.number),
                name=actor.display_name,
            ),
            url=f"/documents/{document.pk}/",
        )
    return signature


def version_signature_verdict(signature: Signature, version: DocumentVersion, *, size: int | None) -> str:
    """The signature's verdict (``signatures.services.signature_verdict``), and invalid when the stored file is not
    the one signed: gone (``size`` None), of another size than uploaded (``size``: the storage's answer now, no file
    opened), found changed by the last re-hash (nightly, on download: ``integrity_ok``), or its recorded SHA-256 is
    not the one signed; else invalid when the version's record changed since it was signed."""
    verdict = signature_verdict(signature, version)
    if verdict not in (VALID, CHANGED):
        return verdict
    if size is None:
        return FILE_MISSING
    if size != version.size or version.integrity_ok is False or signature.content.get("sha256") != version.sha256:
        return FILE_CHANGED
    return VALID if verdict == VALID else RECORD_CHANGED
