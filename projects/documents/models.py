"""Documents exchanged with the client (CoA, batch record summary, protocol, report, agreement) and their versions."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.access import ScopedQuerySet
from core.audit import audited
from projects.documents.storage import document_storage
from projects.records import Project, SharedQuerySet, Visibility


class DocumentKind(models.TextChoices):
    COA = "coa", _("Certificate of analysis")
    BATCH_RECORD_SUMMARY = "batch_record_summary", _("Batch record summary")
    PROTOCOL = "protocol", _("Protocol")
    REPORT = "report", _("Report")
    AGREEMENT = "agreement", _("Agreement")
    OTHER = "other", _("Other")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("Issued for client review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Superseded before a decision")


# ``text`` and ``text_version`` are derived from the version's bytes, which the version's events identify (sha256).
@audited(exclude=["text", "text_version"])
class Document(models.Model):
    """A document of a project, optionally about one of its milestones, batches, quality events or change requests.

    Clients see it only when shared (``SharedQuerySet``); its content lives in its versions.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=24, choices=DocumentKind.choices, default=DocumentKind.OTHER)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL)
    milestone = models.ForeignKey(
        "Milestone", null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )
    batch = models.ForeignKey("Batch", null=True, blank=True, on_delete=models.SET_NULL, related_name="documents")
    quality_event = models.ForeignKey(
        "QualityEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )
    change_request = models.ForeignKey(
        "ChangeRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )
    current = models.ForeignKey(
        "DocumentVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The newest version (a new upload supersedes; older versions stay readable)."),
    )
    text = models.TextField(
        blank=True,
        default="",
        editable=False,
        help_text=_("The current version's text for search (bounded; empty when unreadable), read after the upload."),
    )
    text_version = models.ForeignKey(
        "DocumentVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text=_("The version whose text is held (empty: not read yet)."),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = SharedQuerySet.as_manager()

    class Meta:
        ordering = ["project", "-created_at", "-pk"]
        indexes = [models.Index(fields=["project", "-created_at"])]

    def __str__(self) -> str:
        return self.title


class DocumentVersionQuerySet(ScopedQuerySet):
    client_path = "document__project__client"
    visibility_field = "document__visibility"


# When the stored bytes were last re-hashed is an operation, not a change of the record: not in the audit trail.
# The verdict itself (``integrity_ok``) is: the trail shows when a stored file was found changed (or restored).
@audited(exclude=["integrity_checked_at"])
class DocumentVersion(models.Model):
    """One uploaded file of a document: its bytes' SHA-256 and content type (read from the bytes) are recorded at
    upload; a shared version goes draft → issued for client review → approved | rejected (e-signature).

    The stored bytes are re-hashed nightly (every signed version), on every download and before signing; the verdict
    is kept here, so showing a version's signatures opens no file (``selectors.document_versions``)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    file = models.FileField(storage=document_storage, max_length=300)
    original_filename = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(help_text=_("Bytes."))
    sha256 = models.CharField(max_length=64, help_text=_("SHA-256 (hex) of the bytes as uploaded."))
    content_type = models.CharField(max_length=100, help_text=_("Detected from the bytes, not from the name."))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    integrity_checked_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text=_("When the stored file was last re-hashed (UTC).")
    )
    integrity_ok = models.BooleanField(
        null=True,
        blank=True,
        editable=False,
        help_text=_("Whether the stored file still matched its SHA-256 at the last check (empty: not checked yet)."),
    )

    e_signatures = GenericRelation("projects.Signature", related_query_name="document_version")

    objects = DocumentVersionQuerySet.as_manager()

    class Meta:
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="document_version_number_unique"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="document_version_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.document.title} v{self.number}"

    @property
    def project_id(self) -> int:
        """The project the version's document belongs to (what a signature binds to)."""
        return self.document.project_id

    @property
    def project(self) -> Project:
        return self.document.project

    def signature_content(self) -> dict:
        """What an e-signature of this version covers: the version's identity and the SHA-256 of its bytes."""
        return {
            "project": self.document.project.code,
            "document": self.document_id,
            "title": self.document.title,
            "kind": self.document.kind,
            "version": self.number,
            "version_id": self.pk,
            "original_filename": self.original_filename,
            "size": self.size,
            "content_type": self.content_type,
            "sha256": self.sha256,
        }
