"""The language menu in a browser (issue 15): a client approver switches to German and the portal follows.

Screenshots of the dashboard in German at 1366 px and 390 px land in tests/artifacts/language-de-*.png.
"""

from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.formats import date_format
from playwright.sync_api import expect

from clients.models import User
from projects.change_requests import services as change_request_services
from tests.browser.conftest import ARTIFACTS, login
from tests.browser.test_documents import _fits
from tests.clients.factories import PASSWORD


@pytest.mark.parametrize("width", [1366, 390])
def test_approver_switches_to_german_in_the_user_menu(world, browser, live_server, width):
    project = world.project_a
    project.budget = Decimal("1250000")
    project.save(update_fields=["budget"])
    change = change_request_services.change_request_create(
        actor=world.pm, project=project, title="Add a PPQ batch", cost_impact=Decimal("48500")
    )
    change_request_services.change_request_submit(actor=world.pm, change=change)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        login(page, live_server, "approver_a", PASSWORD)
        expect(page.locator("h2", has_text="Your projects")).to_be_visible()
        page.locator(".usermenu summary").click()  # the user menu (a <details> dropdown) holds the language menu
        menu = page.locator(".usermenu .language-menu")
        menu.locator("select[name=language]").select_option("de")
        menu.get_by_role("button", name="Change language").click()
        page.wait_for_load_state("networkidle")
        expect(page.locator("html")).to_have_attribute("lang", "de")
        expect(page.locator(".msg-success")).to_have_text("Sprache geändert.")
        expect(page.locator("h2", has_text="Ihre Projekte")).to_be_visible()
        expect(page.locator("#awaiting-decision")).to_contain_text("1 Änderungsantrag")
        change.refresh_from_db()
        with translation.override("de"):
            submitted = date_format(change.submitted_at, "d M Y")  # e.g. "02 Dez 2026"
        expect(page.locator("#awaiting-decision")).to_contain_text(f"eingereicht am {submitted}")
        expect(page.locator(".mainnav")).to_contain_text("Meine Projekte")
        expect(page.locator(".usermenu")).to_contain_text("Genehmiger (Kunde)")
        expect(menu.locator("select[name=language]")).to_have_value("de")
        _fits(page, f"dashboard in German @{width}")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"language-de-dashboard-{width}.png"), full_page=True)
        # The choice is the account's: the project page, and the next login, are German too.
        page.goto(f"{live_server.url}/projects/{project.pk}/")
        expect(page.locator(".tabs")).to_contain_text("Übersicht")
        expect(page.locator(".cards")).to_contain_text("1.250.000")
        assert User.objects.get(pk=world.approver_a.pk).language == "de"
    finally:
        context.close()
