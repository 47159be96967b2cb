"""The audit chain: one link per sealed audit event (see cmo_portal/audit_chain.py)."""

import pgtrigger
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditChainLink(models.Model):
    """Append-only: UPDATE and DELETE are refused by a trigger and, for the application role, by privileges."""

    event_table = models.CharField(max_length=80)
    event_id = models.BigIntegerField()
    event_created_at = models.DateTimeField()
    content_hash = models.CharField(max_length=64, help_text=_("SHA-256 of the event row and its context."))
    chain_hash = models.CharField(max_length=64, help_text=_("SHA-256 of the previous link and this content."))
    sealed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event_table", "event_id"], name="one_link_per_event")]
        triggers = [pgtrigger.Protect(name="audit_chain_append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.pk}: {self.event_table} #{self.event_id}"
