"""21 CFR Part 11 electronic signatures."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clients.access import ScopedQuerySet
from core.audit import audited
from projects.records import Project


class SignatureMeaning(models.TextChoices):
    APPROVAL = "approval", _("Approval")
    REJECTION = "rejection", _("Rejection")
    REVIEW = "review", _("Review")
    AUTHORSHIP = "authorship", _("Authorship")


class SignatureQuerySet(ScopedQuerySet):
    pass


@audited()
class Signature(models.Model):
    """A 21 CFR Part 11 electronic signature: who, when (UTC), meaning, and a hash of what was signed."""

    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signatures")
    printed_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField(default=timezone.now)
    meaning = models.CharField(max_length=12, choices=SignatureMeaning.choices)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="signatures")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    content = models.JSONField(help_text=_("The record's content as signed (canonical JSON)."))
    content_hash = models.CharField(max_length=64, help_text=_("SHA-256 of the canonical content."))
    binding = models.CharField(
        max_length=64,
        blank=True,
        help_text=_(
            "HMAC (server key) over the content hash, the signed record, signer, printed name, meaning and "
            "UTC time: a signature copied to another record or edited in the database no longer verifies."
        ),
    )

    objects = SignatureQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_at"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return gettext("%(meaning)s by %(name)s at %(time)s UTC") % {
            "meaning": self.get_meaning_display(),
            "name": self.printed_name,
            "time": f"{self.signed_at:%Y-%m-%d %H:%M}",
        }
