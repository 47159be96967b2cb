"""Issues worked on with the client, and their comment threads."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clients.access import ScopedQuerySet
from core.audit import audited
from projects.records import Project, SharedQuerySet, Visibility


class IssueStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


@audited()
class Issue(models.Model):
    """A problem worked on with the client when shared: time to first response and to resolution are measured."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="issues")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=IssueStatus.choices, default=IssueStatus.OPEN)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.SHARED)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True)
    waiting_on = models.CharField(
        max_length=10,
        choices=[("cmo", "CMO"), ("client", _("Client"))],
        default="cmo",
        help_text=_("Lean: whose move it is."),
    )

    objects = SharedQuerySet.as_manager()

    class Meta:
        ordering = ["project", "-opened_at"]

    def __str__(self) -> str:
        return self.title


class IssueCommentQuerySet(ScopedQuerySet):
    client_path = "issue__project__client"
    visibility_field = "issue__visibility"


@audited()
class IssueComment(models.Model):
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created = models.DateTimeField(default=timezone.now)

    objects = IssueCommentQuerySet.as_manager()

    class Meta:
        ordering = ["issue", "created", "pk"]

    def __str__(self) -> str:
        return gettext("Comment by %(author)s on %(issue)s") % {"author": self.author, "issue": self.issue}
