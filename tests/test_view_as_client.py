"""View as client: staff see a client's pages byte for byte as its approver does, and nothing can be written.

The world is the invisibility suite's (client A's project with one record of every kind shared with the client);
its route table names every page and how to fill it. Every page a client approver can open (200, HTML) must be
shown as the client while viewing as (``cmo_portal.view_as.CLIENT_PAGES``) or declared below with the reason, so a
new client page fails ``test_every_client_page_is_shown_as_the_client_or_declared`` until it is covered.
"""

import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import Client as PageClient
from django.test import RequestFactory
from django.urls import reverse

from clients.models import Client, SecurityEvent, SecurityEventKind
from cmo_portal import view_as
from tests.conftest import api_as
from tests.test_invisibility import ROUTES as INVISIBILITY_ROUTES
from tests.test_invisibility import Shared, _body_text, _build_shared, _recompute, differences, mask
from tests.test_round_trip import everything_written
from tests.url_names import all_url_names

#: Pages a client approver can open that are NOT shown as the client while viewing as (staff see their own).
NOT_SHOWN_AS_CLIENT = {
    "calendar-subscription": "the approver's own secret calendar link: personal, and not project information",
    "password_change": "the approver's password: personal",
    "password_change_done": "the approver's password: personal",
    "two-factor": "the approver's own second factor: personal",
    "two-factor-verify": "the approver's own login step: personal",
}
#: Not HTML pages (feeds and exports): the byte-for-byte comparison is of pages.
NOT_PAGES = {
    "project-calendar",
    "project-audit-csv",
    "calendar-feed",
    "calendar-feed-project",
    "project-status-report-pdf",  # a PDF: while viewing as, the staff member's own (labelled as the CMO's report)
}

BANNER = re.compile(r"<!-- view-as banner -->.*?<!-- /view-as banner -->\n?", re.DOTALL)
USER_MENU = re.compile(r'<div class="usermenu">.*?</div>\n?', re.DOTALL)  # the bell counts what is unread


@pytest.fixture
def shared(world) -> Shared:
    s = _build_shared(world)
    _recompute(s)
    return s


def _urls(s: Shared, names) -> list[tuple[str, str]]:
    """(label, url) of each page route (every query variant), filled as the invisibility suite fills it."""
    reads = []
    for name in sorted(names):
        route = INVISIBILITY_ROUTES[name]
        base = reverse(name, kwargs=route.kwargs(s) if route.kwargs else None)
        fill = {"project": s.project.pk, "client": s.client.pk}
        reads += [(name + q.format(**fill), base + q.format(**fill)) for q in route.queries]
    return reads


def _page(response, *, disable: bool = False) -> str:
    """The response as masked text without the banner and the user menu (``disable``: every action disabled)."""
    if disable and response.get("Content-Type", "").startswith("text/html"):
        response.content = view_as.disable_actions(response.content.decode())
    text = USER_MENU.sub("", BANNER.sub("", _body_text(response)))
    location = f"\nLocation: {response['Location']}" if response.has_header("Location") else ""
    return mask(f"{response.status_code}{location}\n\n{text}")


class PostingForms(HTMLParser):
    """Forms that would post: method=post with an action, or with any control that is not disabled."""

    CONTROLS = {"button", "input", "select", "textarea"}

    def __init__(self):
        super().__init__()
        self.posting: list[str] = []
        self._form: dict | None = None
        self._disabled_depth = 0
        self._fieldsets: list[bool] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"post": (a.get("method") or "get").lower() == "post", "attrs": a, "live": "action" in a}
        elif tag == "fieldset":
            self._fieldsets.append("disabled" in a)
        elif self._form is not None and tag in self.CONTROLS and "disabled" not in a and not any(self._fieldsets):
            if a.get("type") != "hidden":
                self._form["live"] = True
        if any(k in a for k in ("hx-post", "hx-put", "hx-patch", "hx-delete", "formaction")) and "disabled" not in a:
            self.posting.append(f"<{tag} {a}>")

    def handle_endtag(self, tag):
        if tag == "fieldset" and self._fieldsets:
            self._fieldsets.pop()
        elif tag == "form" and self._form is not None:
            if self._form["post"] and self._form["live"]:
                self.posting.append(f"<form {self._form['attrs']}>")
            self._form = None


def posting_forms(html: str) -> list[str]:
    parser = PostingForms()
    parser.feed(html)
    return parser.posting


def _viewing_as(staff, client, approver, **post) -> PageClient:
    page = PageClient()
    page.force_login(staff)
    response = page.post(reverse("view-as-start", kwargs={"pk": client.pk}), {"user": approver.pk, **post})
    assert response.status_code == 302, response.content.decode()[:500]
    return page


def _events(kind: str) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(kind=kind).order_by("at", "pk"))


# --- Every client page is covered ----------------------------------------------------------------------------------


def test_every_client_page_is_shown_as_the_client_or_declared(shared):
    approver = PageClient()
    approver.force_login(shared.world.approver_a)
    pages = [n for n, r in INVISIBILITY_ROUTES.items() if r.kind == "page" and n not in NOT_PAGES]
    opened = set()
    for label, url in _urls(shared, pages):
        response = approver.get(url)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            opened.add(label.split("?")[0])
    undeclared = opened - view_as.CLIENT_PAGES - set(NOT_SHOWN_AS_CLIENT)
    assert not undeclared, f"Client pages neither in view_as.CLIENT_PAGES nor in NOT_SHOWN_AS_CLIENT: {undeclared}"
    assert view_as.CLIENT_PAGES <= all_url_names()
    assert not view_as.CLIENT_PAGES & set(NOT_SHOWN_AS_CLIENT)
    assert {"dashboard", "project-detail", "change-request-detail", "project-issues", "survey-answer"} <= opened


# --- Byte for byte, read-only -----------------------------------------------------------------------------------


def test_viewing_as_shows_the_approvers_pages_byte_for_byte_with_every_action_disabled(shared):
    w = shared.world
    staff = _viewing_as(w.leadership, shared.client, w.approver_a)
    approver = PageClient()
    approver.force_login(w.approver_a)
    written = everything_written()
    seen, expected, disabled_some = {}, {}, False
    for label, url in _urls(shared, view_as.CLIENT_PAGES):
        viewed = staff.get(url)  # first: opening a page as the approver reads their notifications, viewing as not
        html = viewed.content.decode()
        seen[label] = _page(viewed)
        own = approver.get(url)
        raw = own.content.decode()
        expected[label] = _page(own, disable=True)
        if viewed.status_code == 200:
            banner = f"Viewing as {w.approver_a.display_name} of {shared.client.name} — read-only."
            assert banner in html, label
            assert viewed["Cache-Control"] == "private, no-store"
            assert not posting_forms(BANNER.sub("", html)), f"{label}: a form posts while viewing as"
            assert [f for f in posting_forms(html) if "view-as/stop" not in f] == [], label
            disabled_some |= bool(posting_forms(raw))
    assert everything_written() == written, "viewing as wrote something"
    report = differences(expected, seen)
    if report:
        pytest.fail("Viewing as differs from the approver's own page.\n" + report, pytrace=False)
    assert disabled_some, "no page had a form to disable: the test proves nothing about forms"
    assert sum(text.startswith("200") for text in seen.values()) >= 14
    assert shared.change.title in seen["change-request-detail"]
    assert shared.issue.title in seen["project-issues"]


def test_another_clients_page_is_not_found_while_viewing_as(shared):
    w = shared.world
    staff = _viewing_as(w.leadership, shared.client, w.approver_a)
    assert staff.get(reverse("project-detail", kwargs={"pk": w.project_b.pk})).status_code == 404
    assert w.project_b.code not in staff.get(reverse("dashboard")).content.decode()


# --- Nothing can be written -------------------------------------------------------------------------------------


def test_a_post_while_viewing_as_writes_nothing_and_is_refused(shared):
    w = shared.world
    staff = _viewing_as(w.admin, shared.client, w.approver_a)
    posts = {
        reverse("issue-detail", kwargs={"pk": shared.issue.pk}): {"action": "comment", "body": "Written as the client"},
        reverse("change-request-detail", kwargs={"pk": shared.change.pk}): {"decision": "approved", "password": "x"},
        reverse("notifications"): {},
        reverse("project-risks", kwargs={"pk": shared.project.pk}): {"action": "create", "title": "x"},
        reverse("portfolio-export", kwargs={"fmt": "xlsx"}): {},  # a staff page: still refused while viewing as
    }
    ignore = {"clients.SecurityEvent", "clients.SecurityEventEvent", "pghistory.Context"}  # the refusals' records
    before = {k: v for k, v in everything_written().items() if k not in ignore}
    refusals = len(_events(SecurityEventKind.VIEW_AS_REFUSED))
    for url, body in posts.items():
        response = staff.post(url, body)
        assert response.status_code == 403, url
        assert "nothing can be changed" in response.content.decode(), url
    assert {k: v for k, v in everything_written().items() if k not in ignore} == before
    refused = _events(SecurityEventKind.VIEW_AS_REFUSED)[refusals:]
    assert [e.detail["path"] for e in refused] == list(posts)
    assert all(e.user == w.admin and e.detail["viewed_as_id"] == w.approver_a.pk for e in refused)


def test_a_page_that_writes_when_opened_is_refused_and_rolled_back(shared, rf: RequestFactory):
    """The read-only transaction is the last fence: a view that writes on GET fails to write and is refused."""
    w = shared.world

    def writes_on_get(request):
        Client.objects.create(name="Written while viewing as", slug="written-while-viewing-as")
        return HttpResponse("written")

    request = rf.get(reverse("dashboard"))
    request.user = w.approver_a
    request.session = {}
    state = view_as.ViewAs(actor=w.leadership, user=w.approver_a, client=shared.client, shown_as_client=True)
    response = view_as._run_read_only(request, state, writes_on_get, (), {})
    assert response.status_code == 403
    assert not Client.objects.filter(slug="written-while-viewing-as").exists()
    assert request.user == w.leadership
    with connection.cursor() as cursor:  # the read-only mode ended with the rolled-back block
        cursor.execute("SHOW transaction_read_only")
        assert cursor.fetchone()[0] == "off"


# --- Who may view as whom -----------------------------------------------------------------------------------------


def test_a_client_user_cannot_start_viewing_as(shared):
    w = shared.world
    page = PageClient()
    page.force_login(w.approver_a)
    url = reverse("view-as-start", kwargs={"pk": shared.client.pk})
    assert page.get(url).status_code == 404
    assert page.post(url, {"user": w.approver_a.pk}).status_code == 404
    assert view_as.SESSION_KEY not in page.session
    assert not _events(SecurityEventKind.VIEW_AS_STARTED)


def test_a_pm_views_as_the_clients_of_their_projects_only(shared):
    w = shared.world
    url = reverse("view-as-start", kwargs={"pk": shared.client.pk})
    outsider = PageClient()
    outsider.force_login(w.other_pm)  # manages no project of client A
    page = outsider.get(url)
    assert page.status_code == 403
    assert w.approver_a.username not in page.content.decode()
    refused = outsider.post(url, {"user": w.approver_a.pk})
    assert refused.status_code == 403
    assert "projects you manage" in refused.content.decode()
    assert view_as.SESSION_KEY not in outsider.session
    assert _events(SecurityEventKind.VIEW_AS_REFUSED)[-1].user == w.other_pm
    manager = _viewing_as(w.pm, shared.client, w.approver_a)  # manages project A
    assert manager.get(reverse("dashboard")).status_code == 200
    for staff in (w.leadership, w.admin):
        assert _viewing_as(staff, shared.client, w.approver_a).get(reverse("dashboard")).status_code == 200


def test_an_inactive_approver_a_viewer_or_an_inactive_client_is_refused(shared):
    w = shared.world
    page = PageClient()
    page.force_login(w.leadership)
    url = reverse("view-as-start", kwargs={"pk": shared.client.pk})
    assert page.post(url, {"user": w.viewer_a.pk}).status_code == 403  # a viewer is not an approver
    assert page.post(url, {"user": w.approver_b.pk}).status_code == 403  # another client's approver
    assert page.post(url, {"user": "not a number"}).status_code == 400
    w.approver_a.is_active = False
    w.approver_a.save()
    response = page.post(url, {"user": w.approver_a.pk})
    assert response.status_code == 403
    assert "no longer an active user" in response.content.decode()
    w.approver_a.is_active = True
    w.approver_a.save()
    shared.client.active = False
    shared.client.save()
    response = page.post(url, {"user": w.approver_a.pk})
    assert response.status_code == 403
    assert "not an active client" in response.content.decode()
    assert view_as.SESSION_KEY not in page.session
    assert not _events(SecurityEventKind.VIEW_AS_STARTED)


def test_a_lapsed_target_ends_viewing_as(shared):
    w = shared.world
    staff = _viewing_as(w.leadership, shared.client, w.approver_a)
    w.approver_a.is_active = False
    w.approver_a.save()
    assert staff.get(reverse("dashboard")).status_code == 404  # the staff member's own: no client dashboard
    assert view_as.SESSION_KEY not in staff.session
    assert _events(SecurityEventKind.VIEW_AS_STOPPED)[-1].detail["ended"] == "no longer allowed"


# --- Start and stop are security events; staff pages and the API stay the staff's -----------------------------


def test_start_and_stop_are_security_events(shared):
    w = shared.world
    project_url = reverse("project-detail", kwargs={"pk": shared.project.pk})
    staff = _viewing_as(w.pm, shared.client, w.approver_a, next=project_url)
    started = _events(SecurityEventKind.VIEW_AS_STARTED)
    assert [(e.user, e.detail["viewed_as_id"], e.detail["client_id"]) for e in started] == [
        (w.pm, w.approver_a.pk, shared.client.pk)
    ]
    response = staff.post(reverse("view-as-stop"), {"next": project_url})
    assert response.status_code == 302
    assert response["Location"] == project_url  # back to the page, as themself
    stopped = _events(SecurityEventKind.VIEW_AS_STOPPED)
    assert [(e.user, e.detail["viewed_as_id"], e.detail["ended"]) for e in stopped] == [
        (w.pm, w.approver_a.pk, "exited")
    ]
    assert view_as.SESSION_KEY not in staff.session
    assert "Viewing as" not in staff.get(project_url).content.decode()
    assert staff.get(reverse("view-as-stop")).status_code == 405


def test_staff_pages_and_the_api_stay_the_staff_members_own(shared):
    w = shared.world
    staff = _viewing_as(w.leadership, shared.client, w.approver_a)
    portfolio = staff.get(reverse("portfolio"))
    assert portfolio.status_code == 200
    assert "you see it as yourself" in portfolio.content.decode()
    assert staff.get(reverse("project-costs", kwargs={"pk": shared.project.pk})).status_code == 200
    session_api = staff.get(reverse("api:project-list")).json()  # the session's API calls: as the staff member
    assert {p["code"] for p in session_api["results"]} == {w.project_a.code, w.project_b.code}
    assert api_as(w.approver_a).get(reverse("api:project-list")).json()["count"] == 1


# --- The pure rewrite ---------------------------------------------------------------------------------------------


def test_disable_actions_disables_what_posts_and_keeps_what_reads():
    html = (
        '<form method="get" action="/dashboard/"><input name="q"></form>'
        '<form method="POST" action="/issues/1/" hx-post="/issues/1/"><input type="hidden" name="a" value="1">'
        '<button formaction="/x/">Send</button></form>'
        '<input type="checkbox" hx-post="/checklist/1/toggle/">'
        '<form method="post" action="/view-as/stop/" data-view-as="exit"><button>Exit</button></form>'
    )
    out = view_as.disable_actions(html)
    assert '<form method="get" action="/dashboard/"><input name="q"></form>' in out
    for gone in ("/issues/1/", "formaction", "/checklist/1/toggle/"):
        assert gone not in out
    assert posting_forms(out) == ["<form {'method': 'post', 'action': '/view-as/stop/', 'data-view-as': 'exit'}>"]
    assert posting_forms(html) != posting_forms(out)
