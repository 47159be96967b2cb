"""Tenant isolation over every URL the portal serves.

Every named URL must be listed below, as public, as a page or as an API route
with how to fill its arguments. Adding a URL without adding it here fails
``test_every_url_is_covered``: isolation is checked by construction, not by memory.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import reverse

from tests.conftest import World, api_as
from tests.metrics.factories import certification, invitation_b, response_b, survey_token_b
from tests.url_names import PUBLIC, all_url_names


@dataclass(frozen=True)
class Route:
    kind: str  # "page" | "api" | "feed" (no session: a secret link of the requesting user, see _feed_url)
    kwargs: Callable[[World], dict] | None = None  # object routes: kwargs pointing at client B's data
    list_of_b: bool = True  # a list/collection that must not show client B's data
    staff_only: bool = False  # client users get 404 (pages) / 403-404 (API) even for their own data
    query: str = ""
    method: str = "get"
    body: Callable[[World], dict] | None = None
    outsider_status: tuple[int, ...] = (404,)
    insider: str = ""  # World attribute of a user who may open it (default: leadership for pages, admin for API)


@pytest.fixture
def world(world, records_b):
    """The shared world plus one record of every constraint kind on client B's project (``world.b``)."""
    return world


# URLs that are not tenant data: served to any logged-in user, same for everyone.
NEUTRAL = {"logout", "password_change", "password_change_done", "api:api-root", "api:user-me", "view-as-stop"}
NEUTRAL |= {"two-factor", "two-factor-verify"}  # the user's own second factor (issue 15)
NEUTRAL |= {"passkey"}  # the user's own passkey ceremonies (POST; tests/clients/test_passkeys.py: another's is 404)
NEUTRAL |= {"language-set"}  # the language menu (issue 15): the user's own choice (before login: a cookie)

ROUTES: dict[str, Route] = {
    "survey-list": Route("page"),
    "survey-answer": Route("page", kwargs=lambda w: {"token": survey_token_b(w)}, insider="viewer_b"),
    "lean-portfolio": Route("page", staff_only=True),
    "kpi-targets": Route("page", staff_only=True),
    "pm-workload": Route("page", staff_only=True),
    "audit-report": Route("page", staff_only=True),
    "view-as-start": Route("page", kwargs=lambda w: {"pk": w.client_b.pk}, staff_only=True),
    "audit-report-csv": Route("page", staff_only=True),
    "audit-report-pdf": Route("page", staff_only=True, method="post"),  # asks for an export job
    "portfolio-export": Route("page", kwargs=lambda w: {"fmt": "xlsx"}, staff_only=True, method="post"),
    "export-job": Route("page", kwargs=lambda w: {"pk": built_export_job(w.leadership)}, staff_only=True),
    "export-job-download": Route("page", kwargs=lambda w: {"pk": built_export_job(w.leadership)}, staff_only=True),
    "api:survey-list": Route("api"),
    "api:survey-detail": Route("api", kwargs=lambda w: {"pk": invitation_b(w).pk}),
    "api:survey-answer": Route("api", kwargs=lambda w: {"pk": invitation_b(w).pk}, method="post"),
    "api:survey-response-list": Route("api"),
    "api:survey-response-detail": Route("api", kwargs=lambda w: {"pk": response_b(w).pk}),
    "api:portfolio-lean": Route("api", staff_only=True),
    "api:search": Route("api", query="?q=secret+borealis"),
    "api:pm-certification-list": Route("api", staff_only=True),
    "api:pm-certification-detail": Route("api", kwargs=lambda w: {"pk": certification(w).pk}, staff_only=True),
    "project-scores": Route("page", kwargs=lambda w: {"pk": w.project_b.pk}),
    "project-status-report": Route("page", kwargs=lambda w: {"pk": w.project_b.pk}),
    "project-status-report-pdf": Route("page", kwargs=lambda w: {"pk": w.project_b.pk}),
    "tradeoff-decide": Route("page", kwargs=lambda w: {"pk": w.tradeoff_proposal_b.pk}, method="post"),
    "scoring-policy": Route("page", staff_only=True),
    "portfolio": Route("page", staff_only=True),
    "api:portfolio-summary": Route("api", staff_only=True),
    "api:score-list": Route("api"),
    "api:project-scores": Route("api", kwargs=lambda w: {"pk": w.project_b.pk}),
    "api:project-what-if": Route("api", kwargs=lambda w: {"pk": w.project_b.pk}, method="post"),
    "home": Route("page"),
    "dashboard": Route("page"),
    "project-list": Route("page"),
    "project-create": Route("page", staff_only=True),
    "project-detail": Route("page", kwargs=lambda w: {"pk": w.project_b.pk}),
    "project-start": Route("page", kwargs=lambda w: {"pk": w.project_b.pk}, method="post"),
    "project-baselines": Route("page", kwargs=lambda w: {"pk": w.project_b.pk}),
    "project-audit": Route("page", kwargs=lambda w: {"pk": w.project_b.pk}),
    "project-audit-csv": Route("page", kwargs=lambda w: {"pk": w.project_b.pk}),
    "project-calendar": Route("page", kwargs=lambda w: {"pk": w.project_b.pk}),
    "milestone-edit": Route("page", kwargs=lambda w: {"pk": w.milestone_b.pk}, method="post"),
    "checklist-toggle": Route("page", kwargs=lambda w: {"pk": w.checklist_b.pk}, method="post"),
    "plan-import": Route("page", kwargs=lambda w: {"pk": w.project_b.pk}, staff_only=True, insider="pm"),
    "plan-import-new": Route("page", staff_only=True, method="post", body=lambda w: {"action": "preview"}),
    "api:project-plan-import": Route(
        "api", kwargs=lambda w: {"pk": w.project_b.pk}, method="post", body=lambda w: {"plan": "x"}, staff_only=True
    ),
    "api:plan-import": Route(
        "api", method="post", body=lambda w: {"client": w.client_b.pk, "plan": "x", "dry_run": True}, staff_only=True
    ),
    "baseline-sign": Route("page", kwargs=lambda w: {"pk": w.baseline_b.pk}, insider="approver_b"),
    "project-costs": Route("page", kwargs=lambda w: {"pk": w.project_b.pk}, staff_only=True),
    "project-change-requests": Route("page", kwargs=lambda w: {"pk": w.project_b.pk}),
    "change-request-detail": Route("page", kwargs=lambda w: {"pk": w.b.change_request.pk}),
    "project-quality": Route("page", kwargs=lambda w: {"pk": w.project_b.pk}),
    "project-risks": Route("page", kwargs=lambda w: {"pk": w.project_b.pk}),
    "project-issues": Route("page", kwargs=lambda w: {"pk": w.project_b.pk}),
    "issue-detail": Route("page", kwargs=lambda w: {"pk": w.b.issue.pk}),
    "notifications": Route("page"),
    "search": Route("page", query="?q=secret+borealis"),  # every record of client B holds both words
    "calendar-subscription": Route("page"),
    "calendar-feed": Route("feed"),
    "calendar-feed-project": Route("feed", kwargs=lambda w: {"pk": w.project_b.pk}),
    "api:milestone-list": Route("api"),
    "api:milestone-detail": Route("api", kwargs=lambda w: {"pk": w.milestone_b.pk}),
    "api:baseline-list": Route("api"),
    "api:baseline-detail": Route("api", kwargs=lambda w: {"pk": w.baseline_b.pk}),
    "api:baseline-approve": Route("api", kwargs=lambda w: {"pk": w.baseline_b.pk}, method="post"),
    "api:baseline-reject": Route("api", kwargs=lambda w: {"pk": w.baseline_b.pk}, method="post"),
    "api:baseline-rebaseline": Route(
        "api", method="post", body=lambda w: {"project": w.project_b.pk, "reason": "x"}, outsider_status=(400, 404)
    ),
    "api:template-list": Route("api"),
    "api:template-detail": Route("api", kwargs=lambda w: {"pk": w.template.pk}, staff_only=True),
    "api:project-audit": Route("api", kwargs=lambda w: {"pk": w.project_b.pk}),
    "api:project-list": Route("api"),
    "api:project-detail": Route("api", kwargs=lambda w: {"pk": w.project_b.pk}),
    "api:client-list": Route("api"),
    "api:client-detail": Route("api", kwargs=lambda w: {"pk": w.client_b.pk}),
    "api:user-list": Route("api", staff_only=True),
    "api:user-detail": Route("api", kwargs=lambda w: {"pk": w.viewer_b.pk}, staff_only=True),
    "api:cost-entry-list": Route("api"),
    "api:cost-entry-detail": Route("api", kwargs=lambda w: {"pk": w.b.cost_entry.pk}, staff_only=True),
    "api:cost-entry-import": Route(
        "api",
        method="post",
        body=lambda w: {"project": w.project_b.pk, "csv": "date,amount,category\n2026-03-01,1,labour\n"},
        staff_only=True,
    ),
    "api:invoice-list": Route("api"),
    "api:invoice-detail": Route("api", kwargs=lambda w: {"pk": w.b.invoice.pk}),
    "api:change-request-list": Route("api"),
    "api:change-request-detail": Route("api", kwargs=lambda w: {"pk": w.b.change_request.pk}),
    "api:change-request-submit": Route(
        "api", kwargs=lambda w: {"pk": w.b.change_request.pk}, method="post", staff_only=True
    ),
    "api:change-request-withdraw": Route(
        "api", kwargs=lambda w: {"pk": w.b.change_request.pk}, method="post", staff_only=True
    ),
    "api:change-request-approve": Route("api", kwargs=lambda w: {"pk": w.b.change_request.pk}, method="post"),
    "api:change-request-reject": Route("api", kwargs=lambda w: {"pk": w.b.change_request.pk}, method="post"),
    "api:batch-list": Route("api"),
    "api:batch-detail": Route("api", kwargs=lambda w: {"pk": w.b.batch.pk}),
    "api:quality-event-list": Route("api"),
    "api:quality-event-detail": Route("api", kwargs=lambda w: {"pk": w.b.quality_event.pk}),
    "api:quality-event-close": Route(
        "api", kwargs=lambda w: {"pk": w.b.quality_event.pk}, method="post", staff_only=True
    ),
    "api:risk-list": Route("api"),
    "api:risk-detail": Route("api", kwargs=lambda w: {"pk": w.b.risk.pk}),
    "api:issue-list": Route("api"),
    "api:issue-detail": Route("api", kwargs=lambda w: {"pk": w.b.issue.pk}),
    "api:issue-comments": Route("api", kwargs=lambda w: {"pk": w.b.issue.pk}),
    "api:issue-resolve": Route("api", kwargs=lambda w: {"pk": w.b.issue.pk}, method="post", staff_only=True),
    "project-documents": Route("page", kwargs=lambda w: {"pk": w.project_b.pk}),
    "document-detail": Route("page", kwargs=lambda w: {"pk": document_b(w).pk}),
    "document-version-download": Route("page", kwargs=lambda w: {"pk": document_b(w).current_id}),
    "api:document-list": Route("api"),
    "api:document-detail": Route("api", kwargs=lambda w: {"pk": document_b(w).pk}),
    "api:document-versions": Route("api", kwargs=lambda w: {"pk": document_b(w).pk}),
    "api:document-download": Route("api", kwargs=lambda w: {"pk": document_b(w).pk, "number": 1}),
    "api:document-issue": Route("api", kwargs=lambda w: {"pk": document_b(w).pk}, method="post", staff_only=True),
    "api:document-approve": Route("api", kwargs=lambda w: {"pk": document_b(w).pk}, method="post"),
    "api:document-reject": Route("api", kwargs=lambda w: {"pk": document_b(w).pk}, method="post"),
    "api:webhook-list": Route("api", staff_only=True),
    "api:webhook-detail": Route("api", kwargs=lambda w: {"pk": webhook_b(w).pk}, staff_only=True),
    "api:webhook-deliveries": Route("api", kwargs=lambda w: {"pk": webhook_b(w).pk}, staff_only=True),
    "api:notification-list": Route("api"),
    "api:notification-detail": Route("api", kwargs=lambda w: {"pk": w.b.notification.pk}, insider="viewer_b"),
    "api:notification-mark-read": Route(
        "api",
        method="post",
        body=lambda w: {"ids": [w.b.notification.pk]},
        outsider_status=(200,),  # {"marked": 0}: only the caller's own notifications are ever touched
    ),
}


def document_b(w: World):
    """A document shared with client B, issued for their review (made once per world)."""
    if not hasattr(w, "_document_b"):
        from projects.documents.services import document_version_issue
        from tests.projects.document_factories import make_document

        w._document_b = make_document(w.project_b, w.pm, title="Borealis secret document")
        document_version_issue(actor=w.pm, version=w._document_b.current)
    return w._document_b


def webhook_b(w: World):
    """Client B's webhook endpoint (integrations), with one delivery logged."""
    from integrations.models import WebhookDelivery, WebhookEndpoint
    from integrations.services import webhook_endpoint_create

    existing = WebhookEndpoint.objects.filter(client=w.client_b).first()
    if existing:
        return existing
    endpoint = webhook_endpoint_create(
        actor=w.admin,
        client=w.client_b,
        name="Borealis secret ERP",
        url="https://hooks.borealis.example/",
        events=["milestone.completed"],
    )[0]
    WebhookDelivery.objects.create(endpoint=endpoint, event="milestone.completed", payload={"x": "Borealis secret"})
    return endpoint


def built_export_job(user) -> int:
    """An export job ``user`` asked for, built (only they may read it: everyone else gets 404)."""
    from metrics.export_jobs.services import export_job_build, export_job_request

    job = export_job_request(actor=user, kind="portfolio_xlsx", posted={})
    export_job_build(job_id=job.pk)
    return job.pk


def test_every_url_is_covered():
    missing = all_url_names() - PUBLIC - NEUTRAL - set(ROUTES)
    assert not missing, f"Add these URLs to tests/test_isolation.py: {sorted(missing)}"


def _url(name: str, world: World, route: Route) -> str:
    kwargs = route.kwargs(world) if route.kwargs else {}
    return reverse(name, kwargs=kwargs) + route.query


def _feed_url(name: str, world: World, route: Route, user) -> str:
    """A feed route as ``user`` opens it: with their own secret link (anonymous: an unknown one)."""
    from clients.services import calendar_feed_token_issue

    token = calendar_feed_token_issue(actor=user, user=user)[1] if user else "not-a-real-calendar-link"
    kwargs = route.kwargs(world) if route.kwargs else {}
    return reverse(name, kwargs={"token": token, **kwargs}) + route.query


def _secrets(world: World) -> list[str]:
    return [
        world.project_b.code,
        world.project_b.name,
        world.client_b.name,
        world.viewer_b.username,
        world.milestone_b.name,
        world.checklist_b.text,
        world.internal_milestone_a.name,
        "Borealis secret",
        "BOR-SECRET-INV",
        "BOR-SECRET-BATCH",
        "BOR-SECRET-DEV",
    ]


def _request(route: Route, url: str, world: World, *, page_client=None, api_client=None):
    body = route.body(world) if route.body else {}
    if route.kind == "page":
        return getattr(page_client, route.method)(url, body, follow=route.method == "get")
    return getattr(api_client, route.method)(url, body, format="json")


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_anonymous_is_sent_to_login_or_gets_401(name, world, client):
    route = ROUTES[name]
    if route.kind == "feed":  # the link is the credential: an unknown one is simply not found
        response = client.get(_feed_url(name, world, route, None))
        assert response.status_code == 404
        assert "Location" not in response
        return
    url = _url(name, world, route)
    response = getattr(client, route.method)(url)
    if route.kind == "page":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == 401


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_client_a_never_sees_client_b(name, world, client):
    route = ROUTES[name]
    if route.kind == "feed":
        url = _feed_url(name, world, route, world.approver_a)
        response = client.get(url)  # no session: the calendar app has only the link
    else:
        url = _url(name, world, route)
        client.force_login(world.approver_a)
        response = _request(route, url, world, page_client=client, api_client=api_as(world.approver_a))
    if route.staff_only:
        assert response.status_code in (403, 404)
    elif route.kwargs is not None or route.body is not None:
        assert response.status_code in route.outsider_status, f"{url} answered {response.status_code}"
    else:
        assert response.status_code == 200
    body = response.content.decode()
    for secret in _secrets(world):
        assert secret not in body, f"{url} leaks {secret!r}"


@pytest.mark.parametrize("name", sorted(n for n, r in ROUTES.items() if r.kwargs is not None and r.method == "get"))
def test_staff_see_every_client(name, world, client):
    route = ROUTES[name]
    if route.kind == "feed":
        insider = getattr(world, route.insider or "leadership")
        assert client.get(_feed_url(name, world, route, insider)).status_code == 200
        return
    url = _url(name, world, route)
    if route.kind == "page":
        client.force_login(getattr(world, route.insider or "leadership"))
        assert client.get(url).status_code == 200
    else:
        assert api_as(getattr(world, route.insider or "admin")).get(url).status_code == 200


def test_client_a_sees_own_project_in_lists(world, client):
    client.force_login(world.viewer_a)
    page = client.get(reverse("dashboard")).content.decode()
    assert world.project_a.code in page
    api_list = api_as(world.viewer_a).get(reverse("api:project-list")).json()
    assert [p["code"] for p in api_list["results"]] == [world.project_a.code]


def test_client_user_cannot_reach_admin(world, client):
    client.force_login(world.viewer_a)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_inactive_client_sees_nothing(world, client):
    world.client_a.active = False
    world.client_a.save()
    assert api_as(world.viewer_a).get(reverse("api:project-list")).json()["count"] == 0
