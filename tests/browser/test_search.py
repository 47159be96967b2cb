"""The search box in the header, typed into as a client would, on a desk-sized and a phone-sized screen."""

import pytest

from projects.models import Visibility
from tests.browser.conftest import ARTIFACTS, login
from tests.clients.factories import PASSWORD
from tests.projects.factories import ChangeRequestFactory, IssueFactory, QualityEventFactory, RiskFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = {"desk": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def _records(world) -> None:
    a = world.project_a
    for n in range(8):
        RiskFactory(project=a, title=f"Filter integrity risk {n}", mitigation="Second filter supplier qualified")
    QualityEventFactory(project=a, reference="AUR-DEV-031", title="Filter integrity test failed on batch 4")
    ChangeRequestFactory(
        project=a, created_by=world.pm, title="Add a second filter", description="Redundant filtration step"
    )
    IssueFactory(project=a, raised_by=world.approver_a, title="Which filter grade is used?")
    RiskFactory(project=a, title="Internal filter margin risk", visibility=Visibility.INTERNAL)


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_a_client_searches_from_the_header(world, live_server, browser, screen):
    _records(world)
    size = SCREENS[screen]
    context = browser.new_context(viewport=size, is_mobile=screen == "phone", has_touch=screen == "phone")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        login(page, live_server, "approver_a", PASSWORD)
        page.fill(".topbar-search input[name=q]", "filter")
        with page.expect_navigation():
            page.press(".topbar-search input[name=q]", "Enter")
        body = page.content()
        for heading in ("Risks", "Quality events", "Change requests", "Issues"):
            assert page.locator(".search-group h2", has_text=heading).count() == 1
        assert "Internal filter margin risk" not in body
        assert page.get_by_role("link", name="3 more risks").count() == 1  # 8 shared risks: 5 shown
        assert page.evaluate(f"document.documentElement.scrollWidth <= {size['width']}"), "sideways scrolling"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"search-{screen}-{size['width']}.png"), full_page=True)
        with page.expect_navigation():
            page.locator("#search-change_request a").first.click()
        assert "Add a second filter" in page.content()
    finally:
        context.close()
