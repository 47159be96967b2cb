"""Who may see and do what: the one place where visibility is decided.

Every queryset's ``for_user(user)`` ends here (``scope_queryset``); views, the API,
exports, feeds, e-mails and tasks all go through it. See DESIGN.md §3 / README.
"""

from django.db.models import Q, QuerySet

from clients.roles import CLIENT_ROLES, STAFF_ROLES, Role

SHARED = "shared"


def is_client_user(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in CLIENT_ROLES)


def is_staff_user(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in STAFF_ROLES)


def scope_queryset(
    queryset: QuerySet,
    user,
    *,
    client_path: str,
    visibility_field: str | None = None,
    client_condition: Q | None = None,
    staff_only: bool = False,
) -> QuerySet:
    """Restrict ``queryset`` to what ``user`` may see.

    ``client_path`` is the lookup path from the model to its Client ("" for Client
    itself); ``visibility_field`` names an internal/shared field that client users
    see only when shared; ``client_condition`` is any further filter for client
    users (e.g. client-visible milestones); ``staff_only`` hides the model from
    client users entirely (templates, internal cost).
    """
    if not (user.is_authenticated and user.is_active):
        return queryset.none()
    if user.role in STAFF_ROLES:
        return queryset
    if staff_only or user.role not in CLIENT_ROLES or user.client_id is None:
        return queryset.none()
    if client_path:
        queryset = queryset.filter(**{f"{client_path}_id": user.client_id, f"{client_path}__active": True})
    else:
        queryset = queryset.filter(pk=user.client_id, active=True)
    if visibility_field:
        queryset = queryset.filter(**{visibility_field: SHARED})
    if client_condition is not None:
        queryset = queryset.filter(client_condition)
    return queryset


class ScopedQuerySet(QuerySet):
    """The one access rule for every model: a model's queryset declares how it reaches its client.

    ``client_path``: lookup path to the Client ("" for Client itself); ``visibility_field``: an
    internal/shared field clients see only when shared; ``staff_only``: never for client users;
    ``client_condition(user)``: a further filter for client users; ``always_condition(user)``: a filter
    for every role (e.g. the score lens); ``owner_path``: records that belong to one user (only that user,
    unless ``unrestricted(user)``). Subclasses declare; they never write their own ``for_user``.
    """

    client_path: str = "project__client"
    visibility_field: str | None = None
    staff_only: bool = False
    owner_path: str | None = None
    unrestricted = None

    def client_condition(self, user) -> Q | None:
        return None

    def always_condition(self, user) -> Q | None:
        return None

    def for_user(self, user) -> QuerySet:
        queryset = self
        always = self.always_condition(user) if is_active_user(user) else None
        if always is not None:
            queryset = queryset.filter(always)
        if self.owner_path is not None:
            if not is_active_user(user):
                return queryset.none()
            if self.unrestricted is not None and self.unrestricted(user):
                return queryset
            return queryset.filter(**{self.owner_path: user.pk})
        return scope_queryset(
            queryset,
            user,
            client_path=self.client_path,
            visibility_field=self.visibility_field,
            client_condition=self.client_condition(user) if is_client_user(user) else None,
            staff_only=self.staff_only,
        )


def is_active_user(user) -> bool:
    return bool(user.is_authenticated and user.is_active)


def can_create_project(user) -> bool:
    return is_staff_user(user) and user.role in (Role.PROJECT_MANAGER, Role.ADMIN)


def can_edit_project(user, project) -> bool:
    """Admins edit every project; a PM edits the projects they manage."""
    if not is_staff_user(user):
        return False
    return user.role == Role.ADMIN or (user.role == Role.PROJECT_MANAGER and project.manager_id == user.pk)


def can_see_internal(user) -> bool:
    """Internal records, internal cost and margin are for CMO staff only."""
    return is_staff_user(user)


def can_sign_for_client(user, project) -> bool:
    """Client approvers sign change requests and re-baselines of their own client's projects."""
    return is_client_user(user) and user.role == Role.CLIENT_APPROVER and project.client_id == user.client_id


def can_view_portfolio(user) -> bool:
    """Portfolio reports and exports: PMs (their own projects), leadership and admins."""
    return is_staff_user(user)


def is_admin(user) -> bool:
    return is_staff_user(user) and user.role == Role.ADMIN


def can_lead(user) -> bool:
    """Leadership decisions: scoring policy, client KPI targets, PM workload and certifications."""
    return is_staff_user(user) and user.role in (Role.LEADERSHIP, Role.ADMIN)


def can_manage_users(user) -> bool:
    return is_staff_user(user) and user.role == Role.ADMIN


def can_read_webhooks(user) -> bool:
    """Outgoing webhooks and their delivery logs: leadership and administrators (integrations)."""
    return can_lead(user)


def can_manage_webhooks(user) -> bool:
    """Registering, changing or removing a webhook endpoint sends data out of the portal: administrators only."""
    return is_admin(user)


def is_project_manager(user) -> bool:
    return is_staff_user(user) and user.role == Role.PROJECT_MANAGER


def is_client_approver(user) -> bool:
    return is_client_user(user) and user.role == Role.CLIENT_APPROVER


def sees_own_projects_only(user) -> bool:
    """In portfolio reports a PM sees the projects they manage; leadership and admins see every project."""
    return is_project_manager(user)


def can_comment_for_the_cmo(user) -> bool:
    """Project managers and administrators answer clients on issues; leadership reads."""
    return is_staff_user(user) and user.role != Role.LEADERSHIP


def can_comment(user, issue=None) -> bool:
    """Client users comment on issues shared with their own client; PMs and administrators for the CMO."""
    if is_client_user(user):
        return issue is None or (issue.project.client_id == user.client_id and issue.visibility == SHARED)
    return can_comment_for_the_cmo(user)


def can_set_tradeoff(user, project) -> bool:
    """The client's approver sets the tradeoff matrix of its project; an administrator may too."""
    return can_sign_for_client(user, project) or (is_staff_user(user) and user.role == Role.ADMIN)


def can_propose_tradeoff(user, project) -> bool:
    """The project's manager proposes a matrix for the client's approver to accept."""
    return can_edit_project(user, project)


def can_view_as_client(user, client) -> bool:
    """Who may view the portal as one of the client's approvers (read-only, cmo_portal.view_as): leadership and
    admins for every active client, a PM for the clients of the projects they manage; never a client user."""
    if not is_staff_user(user) or not client.active:
        return False
    if can_lead(user):
        return True
    return is_project_manager(user) and client.projects.filter(manager_id=user.pk).exists()


def client_reader(client):
    """A stand-in reader for "what this client's users may see": an unsaved, never logged-in user of ``client`` with
    the least privileged client role (viewer). Every read scope depends only on the role being a client role and on
    the client (``scope_queryset``, the score lens), never on the person, so it reads exactly what each of the
    client's users — approvers included — reads; being a viewer it can never sign or write. Used where the portal
    hands a client's view to someone who is not signed in: the status report issued to the client
    (``metrics.status_report``) and the payloads of the client's webhook endpoints (``integrations.payloads``)."""
    from django.contrib.auth import get_user_model  # clients.models imports this module

    return get_user_model()(username=f"reader:{client.slug}", role=Role.CLIENT_VIEWER, client=client, is_active=True)
