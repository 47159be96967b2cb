"""Issues worked on with the client: raise, comment, resolve (the first CMO reply is timed)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from clients import access
from core.audit import audit_context
from core.phrases import phrase
from projects.issues.models import Issue, IssueComment, IssueStatus
from projects.notifications.services import client_users, notify, project_staff
from projects.records import Project, Visibility, require_editor


@transaction.atomic
def issue_raise(*, actor, project: Project, title: str, description: str = "", visibility: str = "shared") -> Issue:
    """Staff raise internal or shared issues; a client user raises a shared issue on their own project."""
    if access.is_client_user(actor):
        if project.client_id != actor.client_id:
            raise PermissionDenied(_("You can raise issues only on your own projects."))
        visibility = Visibility.SHARED
        waiting_on = "cmo"
    else:
        require_editor(actor, project, "raises issues for the CMO")
        # A shared issue raised by the CMO asks the client for something; an internal one stays with the CMO.
        waiting_on = "client" if visibility == Visibility.SHARED else "cmo"
    with audit_context(actor=actor, reason="Issue raised"):
        issue = Issue(
            project=project,
            title=title,
            description=description,
            visibility=visibility,
            raised_by=actor,
            assigned_to=project.manager,
            waiting_on=waiting_on,
        )
        issue.full_clean()
        issue.save()
        if access.is_client_user(actor):
            notify(
                recipients=project_staff(project),
                kind="issue_raised",
                project=project,
                text=phrase(
                    gettext_noop("%(code)s: %(name)s raised an issue — %(title)s."),
                    code=project.code,
                    name=actor.display_name,
                    title=title,
                ),
                url=f"/issues/{issue.pk}/",
            )
    return issue


@transaction.atomic
def issue_comment(*, actor, issue: Issue, body: str) -> IssueComment:
    """Comment on an issue: clients only on shared issues of their own projects; the first CMO reply is timed."""
    issue = Issue.objects.select_for_update().select_related("project").get(pk=issue.pk)
    if not (body or "").strip():
        raise ValidationError({"body": [_("Write a comment.")]})
    client_side = access.is_client_user(actor)
    if not access.can_comment(actor, issue):
        if client_side:
            raise PermissionDenied(_("Client users comment only on issues shared with them."))
        raise PermissionDenied(_("Only the CMO's project managers and administrators comment for the CMO."))
    with audit_context(actor=actor, reason="Comment added"):
        comment = IssueComment.objects.create(issue=issue, author=actor, body=body.strip())
        updates = {"waiting_on": "cmo" if client_side else "client"}
        if not client_side and issue.first_response_at is None and issue.raised_by_id != actor.pk:
            updates["first_response_at"] = comment.created
        Issue.objects.filter(pk=issue.pk).update(**updates)
        if issue.visibility == Visibility.SHARED:
            recipients = project_staff(issue.project) if client_side else client_users(issue.project)
            notify(
                recipients=[u for u in recipients if u.pk != actor.pk],
                kind="issue_comment",
                project=issue.project,
                text=phrase(
                    gettext_noop("%(code)s: %(name)s commented on “%(title)s”."),
                    code=issue.project.code,
                    name=actor.display_name,
                    title=issue.title,
                ),
                url=f"/issues/{issue.pk}/",
            )
    return comment


@transaction.atomic
def issue_resolve(*, actor, issue: Issue, resolution: str) -> Issue:
    """The PM records the resolution (shared issues: the client sees it and is notified)."""
    require_editor(actor, issue.project, "resolves issues")
    if not (resolution or "").strip():
        raise ValidationError({"resolution": [_("Describe the resolution.")]})
    if issue.status == IssueStatus.RESOLVED:
        raise ValidationError({"status": [_("The issue is already resolved.")]})
    with audit_context(actor=actor, reason="Issue resolved"):
        issue.status = IssueStatus.RESOLVED
        issue.resolution = resolution.strip()
        issue.resolved_at = timezone.now()
        issue.first_response_at = issue.first_response_at or issue.resolved_at
        issue.waiting_on = "cmo"
        issue.save(update_fields=["status", "resolution", "resolved_at", "first_response_at", "waiting_on"])
        if issue.visibility == Visibility.SHARED:
            notify(
                recipients=client_users(issue.project),
                kind="issue_resolved",
                project=issue.project,
                text=phrase(
                    gettext_noop("%(code)s: “%(title)s” was resolved."), code=issue.project.code, title=issue.title
                ),
                url=f"/issues/{issue.pk}/",
            )
    return issue
