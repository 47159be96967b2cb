"""View as client: CMO staff read a client's pages exactly as one of its approvers sees them, and change nothing.

The session holds the target (an active approver of an active client the staff member may view as:
``clients.access.can_view_as_client``). For a GET/HEAD of a client page (``CLIENT_PAGES``) the middleware runs the
ordinary view with ``request.user`` set to that approver, so the same ``for_user`` scopes, score lens and ``can_*``
rules decide what is shown; the view runs in a PostgreSQL ``READ ONLY`` transaction that is always rolled back, and
every form that posts is disabled in the HTML (``disable_actions``). Any other page is served as the staff member
themself (never a staff page as the client). Any write while viewing as (other than ending it or logging out) is
refused with a 403 page and a security event; so are start and stop. The API (``/api/``) is not affected.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.shortcuts import render
from django.template.response import SimpleTemplateResponse
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from clients import access
from clients.models import Client, SecurityEventKind, User
from clients.roles import Role
from clients.security import security_event_record

SESSION_KEY = "view_as"

#: The pages shown as the client while viewing as (URL names). tests/test_view_as_client.py enumerates every page a
#: client approver can open and fails until a new one is listed here or declared as not shown as the client.
CLIENT_PAGES = frozenset(
    {
        "home",
        "dashboard",
        "project-list",
        "search",
        "project-detail",
        "project-baselines",
        "project-scores",
        "project-status-report",
        "project-change-requests",
        "change-request-detail",
        "project-quality",
        "project-risks",
        "project-issues",
        "issue-detail",
        "project-documents",
        "document-detail",
        "baseline-sign",
        "tradeoff-decide",
        "notifications",
        "survey-list",
        "survey-answer",
    }
)
#: Writes still allowed while viewing as: ending it, choosing another approver, logging out.
WRITES_ALLOWED = frozenset({"view-as-stop", "view-as-start", "logout"})
READ_METHODS = ("GET", "HEAD", "OPTIONS")
#: Client pages CMO staff can open as themselves too: Exit goes back to them; from any other, to the start page.
STAFF_PAGES_TOO = frozenset(CLIENT_PAGES - {"dashboard", "baseline-sign", "tradeoff-decide", "survey-answer"})
READ_ONLY_SQL_TRANSACTION = "25006"  # PostgreSQL: "cannot execute … in a read-only transaction"


class ViewAsRefused(Exception):
    """Starting to view as was refused; the message says why (shown to the staff member)."""


@dataclass
class ViewAs:
    actor: User  # the staff member, really logged in
    user: User  # the client approver whose view is shown
    client: Client
    shown_as_client: bool = False  # this response is the client's page (else the staff member's own)


# --- Who may be viewed as ---------------------------------------------------------------------------------------


def approvers_to_view_as(*, actor, client: Client) -> list[User]:
    """The client's active approvers, for a staff member who may view as the client (else none).

    Users are read directly, not through ``User.objects.for_user`` (which shows non-admins only themselves): the
    ``can_view_as_client`` rule above is the gate.
    """
    if not access.can_view_as_client(actor, client):
        return []
    return list(
        User.objects.filter(client=client, role=Role.CLIENT_APPROVER, is_active=True).order_by("full_name", "username")
    )


def _shown(message, **params) -> str:
    """``message`` (a lazy text) with ``params``, in the language of whoever reads it (a lazy string)."""
    return lazy(lambda: message % params, str)()


def _recorded(text) -> str:
    """A refusal's words in the security event: always in the portal's language, whoever was refused."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


def _refusal(actor, client: Client, target: User | None) -> str:
    if not access.is_staff_user(actor):
        return _("Only CMO staff can view the portal as a client.")
    if not client.active:
        return _shown(_("%(client)s is not an active client: there is nothing to view as."), client=client.name)
    if not access.can_view_as_client(actor, client):
        return _shown(
            _("You can view as a client only for the clients of projects you manage; %(client)s is not one."),
            client=client.name,
        )
    if target is not None and target.client_id == client.pk and not target.is_active:
        return _shown(
            _("%(user)s is no longer an active user of %(client)s."), user=target.display_name, client=client.name
        )
    if target is None or not (access.is_client_approver(target) and target.client_id == client.pk):
        return _shown(_("Choose one of %(client)s's approvers."), client=client.name)
    return ""


def _detail(view_as_user: User, client: Client) -> dict:
    return {
        "viewed_as": view_as_user.get_username(),
        "viewed_as_id": view_as_user.pk,
        "client": client.name,
        "client_id": client.pk,
    }


# --- Start and stop (security events) -------------------------------------------------------------------------


def view_as_start(*, request, actor, client: Client, target: User | None) -> ViewAs:
    """Start viewing as ``target`` (an active approver of ``client``); a refusal is a security event too."""
    reason = _refusal(actor, client, target)
    if reason:
        detail = {"client": client.name, "client_id": client.pk, "refused": _recorded(reason)}
        if target is not None:
            detail |= {"viewed_as": target.get_username(), "viewed_as_id": target.pk}
        security_event_record(kind=SecurityEventKind.VIEW_AS_REFUSED, request=request, user=actor, **detail)
        raise ViewAsRefused(reason)
    if request.session.get(SESSION_KEY):
        view_as_stop(request=request, actor=actor, reason="another approver chosen")
    request.session[SESSION_KEY] = {"actor": actor.pk, "user": target.pk, "client": client.pk}
    security_event_record(
        kind=SecurityEventKind.VIEW_AS_STARTED, request=request, user=actor, **_detail(target, client)
    )
    return ViewAs(actor=actor, user=target, client=client)


def view_as_stop(*, request, actor, reason: str = "exited") -> bool:
    """End viewing as (if it was on); recorded with who was viewed as and why it ended."""
    state = request.session.pop(SESSION_KEY, None)
    if not state:
        return False
    target = User.objects.filter(pk=state.get("user")).first()
    client = Client.objects.filter(pk=state.get("client")).first()
    detail = _detail(target, client) if target is not None and client is not None else {"state": state}
    security_event_record(kind=SecurityEventKind.VIEW_AS_STOPPED, request=request, user=actor, ended=reason, **detail)
    return True


def current_view_as(request) -> ViewAs | None:
    """The session's view-as, re-checked on every request (a target or right that lapsed ends it)."""
    state = request.session.get(SESSION_KEY)
    if not state:
        return None
    actor = request.user
    if not actor.is_authenticated or actor.pk != state.get("actor"):
        request.session.pop(SESSION_KEY, None)  # another login in this session: not theirs to end or record
        return None
    target = User.objects.filter(pk=state.get("user")).select_related("client").first()
    client = target.client if target is not None else None
    if client is None or client.pk != state.get("client") or _refusal(actor, client, target):
        view_as_stop(request=request, actor=actor, reason="no longer allowed")
        return None
    return ViewAs(actor=actor, user=target, client=client)


# --- Read-only rendering ---------------------------------------------------------------------------------------

_EXIT_FORM = 'data-view-as="exit"'
_POST_FORM = re.compile(r"<form\b(?P<attrs>[^>]*)>(?P<body>.*?)</form>", re.IGNORECASE | re.DOTALL)
_METHOD_POST = re.compile(r"""\bmethod\s*=\s*["']?post\b""", re.IGNORECASE)
_ACTION_ATTR = re.compile(
    r"""\s(?:action|hx-(?:post|put|patch|delete)|formaction)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", re.I
)
_WRITING_TAG = re.compile(
    r"""<(?P<tag>[a-z][a-z0-9]*)\b(?P<attrs>[^>]*\shx-(?:post|put|patch|delete)\s*=[^>]*)>""", re.I
)


def _disable_form(match: re.Match) -> str:
    attrs, body = match.group("attrs"), match.group("body")
    if not _METHOD_POST.search(attrs) or _EXIT_FORM in attrs:
        return match.group(0)  # a GET form (filters, paging) only reads; the banner's Exit ends viewing as
    attrs = _ACTION_ATTR.sub("", attrs)
    body = _ACTION_ATTR.sub("", body)
    return (
        f'<form{attrs} data-view-as="disabled" aria-disabled="true">'
        f'<fieldset class="view-as-disabled" disabled>{body}</fieldset></form>'
    )


def _disable_writing_tag(match: re.Match) -> str:
    return f"<{match.group('tag')}{_ACTION_ATTR.sub('', match.group('attrs'))} disabled>"


def disable_actions(html: str) -> str:
    """The page with every action disabled: each form that posts loses its action and has its controls in a
    disabled fieldset; each htmx element that writes loses its ``hx-post``/``hx-put``/… and is disabled.
    Links and GET forms (filters, paging) stay: they only read."""
    html = _POST_FORM.sub(_disable_form, html)
    return _WRITING_TAG.sub(_disable_writing_tag, html)


def refused(request, view_as: ViewAs, *, reason: str, status: int = 403):
    """The page a write (or a page that writes when opened) gets while viewing as, recorded as a security event."""
    security_event_record(
        kind=SecurityEventKind.VIEW_AS_REFUSED,
        request=request,
        user=view_as.actor,
        method=request.method,
        path=request.path[:500],
        refused=_recorded(reason),
        **_detail(view_as.user, view_as.client),
    )
    return render(request, "view_as/refused.html", {"reason": reason}, status=status)


def _run_read_only(request, view_as: ViewAs, view_func, view_args, view_kwargs):
    """The view as the approver, inside a READ ONLY transaction that is always rolled back (nothing can write)."""
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION READ ONLY")
            response = view_func(request, *view_args, **view_kwargs)
            if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
                response.render()
            transaction.set_rollback(True)
    except DatabaseError as error:
        if getattr(error.__cause__, "pgcode", None) != READ_ONLY_SQL_TRANSACTION:
            raise
        request.user = view_as.actor
        view_as.shown_as_client = False
        return refused(
            request,
            view_as,
            reason=_("This page records something when it is opened, so it cannot be shown while viewing as a client."),
        )
    return response


class ViewAsMiddleware:
    """Swaps in the viewed-as approver for client pages (read-only) and refuses every write while viewing as."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/") or not hasattr(request, "session") or SESSION_KEY not in request.session:
            return self.get_response(request)
        view_as = current_view_as(request)
        if view_as is None:
            return self.get_response(request)
        request.view_as = view_as
        response = self.get_response(request)
        if view_as.shown_as_client:
            response["Cache-Control"] = "private, no-store"
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        view_as = getattr(request, "view_as", None)
        if view_as is None:
            return None
        url_name = request.resolver_match.view_name if request.resolver_match else ""
        if request.method not in READ_METHODS:
            if url_name in WRITES_ALLOWED:
                return None
            return refused(
                request,
                view_as,
                reason=_shown(
                    _(
                        "You are viewing the portal as %(user)s of %(client)s: nothing can be changed. "
                        "Exit “view as” to act as yourself."
                    ),
                    user=view_as.user.display_name,
                    client=view_as.client.name,
                ),
            )
        if request.method == "OPTIONS" or url_name not in CLIENT_PAGES:
            return None  # any other page: the staff member's own (never a staff page as the client)
        request.user = view_as.user
        view_as.shown_as_client = True
        response = _run_read_only(request, view_as, view_func, view_args, view_kwargs)
        if not response.streaming and response.get("Content-Type", "").startswith("text/html"):
            response.content = disable_actions(response.content.decode(response.charset)).encode(response.charset)
        return response


def banner(request) -> dict:
    """Template context: the view-as banner (``templates/view_as/_banner.html``) while viewing as."""
    view_as = getattr(request, "view_as", None)
    return {"view_as": view_as} if view_as is not None else {}
