"""Pages that work on a phone: at 390 px and 1366 px no client page scrolls sideways, and every action is a tap.

Every page the client approver can open is declared in ``CLIENT_PAGES``: ``test_every_client_page_is_declared``
asks every page route of ``tests/test_invisibility.py`` (itself complete over the URL conf) as the approver, and a
route that answers a page without being declared here fails until it is. The browser test opens each declared page
(and the staff pages a PM uses on the road) at both widths in one browser, one context per width, and checks:

- the document is no wider than the window (``scrollWidth <= innerWidth``);
- no element reaches past the window's right edge, or past the right edge of the panel or card it sits in,
  unless it sits inside a box that scrolls sideways by itself (``overflow-x: auto|scroll``, e.g. a wide data table);
- at 1366 px, no data table scrolls sideways inside its card either (the quality table used to);
- at 390 px, every button, form control, tab and button-looking link is at least 40 px high (a fingertip).

Screenshots of the dashboard, a project, the change-request signing, a document review and the PM's quality page
at both widths land in tests/artifacts/phone-*.png: look at them (PHONE_SCREENSHOT_ALL=1 saves every page).
"""

import datetime as dt
import os
from decimal import Decimal

import pytest
from django.test import Client as PageClient
from django.urls import reverse

from metrics.scores.services import scores_recompute
from projects.issues import services as issue_services
from projects.quality import services as quality_services
from projects.risks import services as risk_services
from tests.browser.conftest import ARTIFACTS, login
from tests.clients.factories import PASSWORD
from tests.projects.factories import MilestoneFactory, ProjectFactory
from tests.test_invisibility import ROUTES, Shared, _build_shared

WIDTHS = (390, 1366)
MIN_TAP_PX = 40

# Every page a client user can open (route names of tests/test_invisibility.py ROUTES, filled the same way).
CLIENT_PAGES = (
    "dashboard",
    "project-list",  # a client reaches it too (their projects only)
    "project-detail",
    "project-scores",
    "project-baselines",
    "baseline-sign",
    "project-change-requests",
    "change-request-detail",  # with the signing form: the change awaits the approver
    "project-quality",
    "project-risks",
    "project-issues",
    "issue-detail",
    "notifications",
    "project-documents",
    "project-status-report",  # the period's report (its period form and the report's tables)
    "document-detail",  # a shared version issued for the approver's review and signature
    "survey-list",
    "survey-answer",
    "search",  # with a query that finds records of several kinds (PAGE_QUERIES)
    "calendar-subscription",
    "password_change",
    "password_change_done",
    "two-factor",
)

# A query string for pages that show more with one.
PAGE_QUERIES = {"search": "?q=Aurora"}

# Staff pages opened on a phone: the PM's list, portfolio and the workspace of their project (its edit forms);
# leadership's PM workload.
STAFF_PAGES = {
    "pm": (
        "project-list",
        "portfolio",
        "project-detail",
        "project-quality",
        "change-request-detail",
        "project-documents",
        "search",
    ),
    "lead": ("pm-workload",),
}

SCREENSHOTS = {
    ("client", "dashboard"): "dashboard",
    ("client", "project-detail"): "project",
    ("client", "change-request-detail"): "cr-sign",
    ("client", "document-detail"): "document-review",
    ("pm", "project-quality"): "pm-quality",
}

# The measure, run in the page: what sticks out, and which tap targets are too small.
MEASURE = r"""
(minTap) => {
  const vw = window.innerWidth;
  const scrolls = (el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.classList.length ? '.' + [...el.classList].join('.') : '')
    + ' "' + (el.innerText || el.value || el.getAttribute('aria-label') || '').replace(/\s+/g, ' ').trim().slice(0, 40)
    + '"';
  const visible = (el) => {
    const style = getComputedStyle(el);
    return el.getClientRects().length && style.visibility !== 'hidden' && style.display !== 'none';
  };
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 2 && r.height < 2) continue;  // visually hidden (sr-only)
    let inScroller = false, box = null;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (scrolls(p)) { inScroller = true; break; }
      if (!box && (p.classList.contains('panel') || p.classList.contains('card'))) box = p;
    }
    if (inScroller) continue;
    if (r.right > vw + 0.5) wide.push(name(el) + ' ends at ' + Math.round(r.right) + ' px');
    else if (box && r.right > box.getBoundingClientRect().right + 0.5)
      wide.push(name(el) + ' ends ' + Math.round(r.right - box.getBoundingClientRect().right) + ' px past its '
        + name(box).split(' ')[0]);
  }
  const small = [];
  const targets = 'button, input:not([type=hidden]):not([type=radio]):not([type=checkbox]), select, textarea,'
    + ' a.button, nav.tabs a, .mainnav a, .usermenu a, .pagination a, label.radio, label.check, label.check-row';
  for (const el of document.querySelectorAll(targets)) {
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.height < minTap - 0.5) small.push(name(el) + ' is ' + Math.round(r.height) + ' px high');
  }
  // On a laptop a data table fits its card: nothing scrolls sideways inside the page either.
  const scrolled = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (visible(el) && scrolls(el) && el.scrollWidth > el.clientWidth + 1)
      scrolled.push(name(el) + ' scrolls sideways (' + el.scrollWidth + ' px in ' + el.clientWidth + ' px)');
  }
  return {scrolled: scrolled.slice(0, 40), scrollWidth: document.documentElement.scrollWidth, innerWidth: vw,
          wide: wide.slice(0, 40), small: small.slice(0, 40)};
}
"""


def _url(name: str, s: Shared) -> str:
    route = ROUTES[name]
    return reverse(name, kwargs=route.kwargs(s) if route.kwargs else None) + PAGE_QUERIES.get(name, "")


def _client_reachable_pages(s: Shared) -> set[str]:
    """Page routes that answer the client approver with an HTML page of their own (not a redirect or a refusal)."""
    page = PageClient()
    page.force_login(s.world.approver_a)
    reachable = set()
    for name, route in ROUTES.items():
        if route.kind != "page":
            continue
        response = page.get(_url(name, s))
        if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
            reachable.add(name)
    return reachable


@pytest.mark.django_db
def test_every_client_page_is_declared(world):
    s = _build_shared(world)
    reachable = _client_reachable_pages(s)
    missing = reachable - set(CLIENT_PAGES)
    assert not missing, f"Client pages not checked on a phone: add them to CLIENT_PAGES: {sorted(missing)}"
    stale = set(CLIENT_PAGES) - reachable
    assert not stale, f"CLIENT_PAGES the approver cannot open (remove or fix): {sorted(stale)}"


def _realistic(s: Shared) -> None:
    """What a real project carries: long names, several milestones, a second project on the dashboard."""
    project = s.project
    start = dt.date(2026, 1, 12)
    for number, name in enumerate(
        [
            "Technology transfer and analytical method qualification",
            "Engineering batch 200 L single-use bioreactor",
            "Process performance qualification (PPQ) batches 1–3",
            "Stability study: 6-month accelerated data package",
        ],
        start=3,
    ):
        MilestoneFactory(
            project=project,
            name=name,
            sequence=number,
            baseline_date=start + dt.timedelta(days=40 * number),
            forecast_date=start + dt.timedelta(days=40 * number + 9),
            percent_complete=Decimal(15 * number),
        )
    pm = s.world.pm
    quality_services.quality_event_create(
        actor=pm,
        project=project,
        reference="CAPA-2026-0042",
        title="Out-of-specification endotoxin result on the drug substance release test, retest pending",
        kind="capa",
        severity="major",
        opened=dt.date(2026, 2, 2),
        due=dt.date(2026, 3, 2),
        batch=s.batch,
        visibility="shared",
    )
    risk_services.risk_create(
        actor=pm,
        project=project,
        title="Single-source chromatography resin with a 26-week lead time",
        probability=4,
        impact=5,
        owner=pm,
        visibility="shared",
    )
    issue_services.issue_raise(
        actor=s.world.approver_a,
        project=project,
        title="Certificate of analysis for lot AUR-B-001 still missing from the release package",
    )
    ProjectFactory(
        client=s.client,
        manager=s.world.pm,
        code="AAA-FILL-FINISH-02",
        name="Aseptic fill and finish of the lyophilised drug product, commercial readiness",
    )
    scores_recompute(project_ids=[project.pk], now=s.now)


def _check(page, label: str, width: int) -> list[str]:
    result = page.evaluate(MEASURE, MIN_TAP_PX)
    problems = []
    if result["scrollWidth"] > result["innerWidth"]:
        problems.append(
            f"{label} @{width}: the page scrolls sideways ({result['scrollWidth']} > {result['innerWidth']})"
        )
    problems += [f"{label} @{width}: {what}" for what in result["wide"]]
    if width >= 1280:
        problems += [f"{label} @{width}: {what}" for what in result["scrolled"]]
    if width < 800:
        problems += [f"{label} @{width}: tap target {what}" for what in result["small"]]
    return problems


def _visit(page, base: str, urls: dict[str, str], width: int, who: str) -> list[str]:
    problems = []
    for name, url in urls.items():
        response = page.goto(base + url)
        assert response is not None, f"{who} {name}: no response"
        assert response.status == 200, f"{who} {name} answered {response.status}"
        problems += _check(page, f"{who} {name}", width)
        if (who, name) in SCREENSHOTS:
            page.screenshot(path=str(ARTIFACTS / f"phone-{SCREENSHOTS[who, name]}-{width}.png"), full_page=True)
        elif os.environ.get("PHONE_SCREENSHOT_ALL"):  # every page, to look at after a layout change
            page.screenshot(path=str(ARTIFACTS / f"phone-all-{who}-{name}-{width}.png"), full_page=True)
    return problems


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_fit_a_phone_and_a_laptop(world, browser, live_server):
    s = _build_shared(world)
    _realistic(s)
    ARTIFACTS.mkdir(exist_ok=True)
    client_urls = {name: _url(name, s) for name in CLIENT_PAGES}
    staff_urls = {user: {name: _url(name, s) for name in names} for user, names in STAFF_PAGES.items()}

    problems: list[str] = []
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 844 if width < 800 else 900})
        try:
            page = context.new_page()
            page.set_default_timeout(15000)
            login(page, live_server, "approver_a", PASSWORD)
            problems += _visit(page, live_server.url, client_urls, width, "client")
            for username, urls in staff_urls.items():
                context.clear_cookies()
                login(page, live_server, username, PASSWORD)
                problems += _visit(page, live_server.url, urls, width, username)
        finally:
            context.close()
    assert not problems, f"{len(problems)} layout problems:\n" + "\n".join(problems)
