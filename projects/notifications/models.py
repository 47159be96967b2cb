"""In-app notifications (e-mailed after commit)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.access import ScopedQuerySet
from core import phrases
from projects.records import Project


class NotificationQuerySet(ScopedQuerySet):
    """A notification is its recipient's only, whatever the role."""

    owner_path = "recipient"


class Notification(models.Model):
    """An in-app notification; e-mailed after commit by a worker (``emailed_at`` set once sent).

    ``text`` is what was written (English, or the recipient's language for a lazy text); ``message``, when there
    is one, the same as a language-neutral phrase (``core.phrases``), written in the reader's language wherever it
    is shown (``shown_text``): the list, the API, the e-mail."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(max_length=500)
    message = models.JSONField(
        null=True,
        blank=True,
        help_text=_("The text as a language-neutral phrase, written in the reader's language when shown."),
    )
    url = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(
        default=0, help_text=_("Failed e-mail attempts; after MAX_EMAIL_ATTEMPTS the sweep stops retrying.")
    )

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.text

    def shown_text(self) -> str:
        """The text in the active language: written from ``message`` when there is one, else as stored (rows
        written before phrases, plain texts)."""
        return phrases.render(self.message, self.text)
