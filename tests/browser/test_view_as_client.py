"""A PM starts "view as client" from a project page, sees the bannered dashboard and exits (1366 and 390 px)."""

import pytest

from clients.models import SecurityEvent, SecurityEventKind
from tests.browser.conftest import login
from tests.clients.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1366, 390])
def test_pm_views_the_dashboard_as_the_client_and_exits(world, live_server, page, screenshot, width):
    page.set_viewport_size({"width": width, "height": 860})
    login(page, live_server, "pm", PASSWORD)
    page.goto(f"{live_server.url}/projects/{world.project_a.pk}/")
    page.click("a.view-as-link")
    page.click(f"form:has(input[name=user][value='{world.approver_a.pk}']) button[type=submit]")
    page.wait_for_load_state("networkidle")

    page.goto(f"{live_server.url}/dashboard/")
    banner = page.locator(".view-as-banner")
    assert banner.is_visible()
    assert f"Viewing as {world.approver_a.display_name} of {world.client_a.name}" in banner.inner_text()
    assert page.locator("table.table tbody a.code").all_inner_texts() == [world.project_a.code]
    assert world.project_b.code not in page.content()
    # Nothing sticks out sideways, the banner's Exit included
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    exit_box = page.locator(".view-as-banner button").bounding_box()
    assert exit_box["x"] + exit_box["width"] <= width
    assert exit_box["height"] >= 36  # big enough for a finger
    screenshot(f"view-as-client-dashboard-{width}")

    page.goto(f"{live_server.url}/projects/{world.project_a.pk}/")
    assert page.locator(".view-as-banner").is_visible()
    assert page.locator("form[method=post]:not([data-view-as]) button:not([disabled])").count() == 0
    screenshot(f"view-as-client-project-{width}")

    page.click(".view-as-banner button")
    page.wait_for_load_state("networkidle")
    assert page.locator(".view-as-banner").count() == 0
    assert page.url.endswith(f"/projects/{world.project_a.pk}/")
    assert page.locator("a.view-as-link").is_visible()  # the PM's own page again
    kinds = list(SecurityEvent.objects.filter(user=world.pm).values_list("kind", flat=True).order_by("at", "pk"))
    assert [k for k in kinds if k.startswith("view_as")] == [
        SecurityEventKind.VIEW_AS_STARTED,
        SecurityEventKind.VIEW_AS_STOPPED,
    ]
    assert page.console_errors == []
