"""The header's user menu in a browser: the account's items (calendar, password, two-factor, language, log out) in one
<details> dropdown that needs no script, opens and is walked with the keyboard, keeps the header on one row at a
laptop's 1366 px in English and German, and fits a phone's 390 px.

Screenshots (closed and open) of the dashboard as a client approver and as an administrator (the longest
navigation), in English and German at both widths, land in tests/artifacts/usermenu-*.png.
"""

import pytest
from playwright.sync_api import expect

from clients.models import User
from tests.browser.conftest import ARTIFACTS, login
from tests.browser.test_documents import _fits
from tests.clients.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ITEMS = {
    "en": ["Calendar subscription", "Change password", "Two-factor authentication", "Change language", "Log out"],
    "de": ["Kalenderabonnement", "Passwort ändern", "Zwei-Faktor-Authentifizierung", "Sprache ändern", "Abmelden"],
}


def _boxes(page) -> dict:
    return page.evaluate(
        """() => {
          const box = (sel) => {
            const r = document.querySelector(sel).getBoundingClientRect();
            return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height};
          };
          return {bar: box('.topbar'), brand: box('.brand'), nav: box('.mainnav'), search: box('.topbar-search'),
                  summary: box('.user-summary'), bell: box('.usermenu .bell')};
        }"""
    )


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("who", ["approver_a", "root"])  # root: an administrator, the longest navigation
@pytest.mark.parametrize("width", [1366, 390])
def test_the_user_menu_holds_the_accounts_items_and_keeps_the_header_tidy(
    world, browser, live_server, who, language, width
):
    User.objects.filter(username=who).update(language="" if language == "en" else language)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    try:
        login(page, live_server, who, PASSWORD)
        menu = page.locator(".usermenu details.user-dropdown")
        items = menu.locator(".user-dropdown-items")
        expect(items).to_be_hidden()
        boxes = _boxes(page)
        if width == 1366:
            # One row: the brand, the navigation, the search and the user menu side by side.
            assert boxes["bar"]["height"] < 64, boxes
            for part in ("nav", "search", "summary", "bell"):
                assert boxes[part]["top"] >= boxes["bar"]["top"], (part, boxes)
                assert boxes[part]["bottom"] <= boxes["bar"]["bottom"], (part, boxes)
                assert abs(boxes[part]["top"] - boxes["brand"]["top"]) < 16, (part, boxes)
        else:
            assert boxes["summary"]["height"] >= 40, boxes  # a fingertip
        _fits(page, f"{who} {language} @{width}, menu closed")
        ARTIFACTS.mkdir(exist_ok=True)
        name = f"usermenu-{'client' if who == 'approver_a' else 'staff'}-{language}-{width}"
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

        # The keyboard: the summary takes the focus, Enter opens, Tab walks the items in order.
        summary = menu.locator("summary")
        summary.focus()
        page.keyboard.press("Enter")
        expect(items).to_be_visible()
        texts = [text.strip() for text in items.locator("a, button").all_inner_texts()]
        assert texts == ITEMS[language], texts
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent.trim()") == ITEMS[language][0]
        for expected in ("a", "a", "a", "select", "button", "button"):
            assert page.evaluate("document.activeElement.tagName.toLowerCase()") == expected
            page.keyboard.press("Tab")
        _fits(page, f"{who} {language} @{width}, menu open")
        for control in items.locator("a, button, select").all():
            box = control.bounding_box()
            assert box is not None
            assert box["x"] >= 0, box
            assert box["x"] + box["width"] <= width, box
            if width == 390:
                assert box["height"] >= 40, (control.inner_text(), box)
        page.screenshot(path=str(ARTIFACTS / f"{name}-open.png"), full_page=True)
        summary.focus()
        page.keyboard.press("Space")
        expect(items).to_be_hidden()

        # Log out from the menu.
        summary.click()
        items.get_by_role("button", name=ITEMS[language][-1]).click()
        page.wait_for_load_state("networkidle")
        expect(page.locator(".usermenu")).to_have_count(0)
        assert not errors, errors  # no CSP violation or script error
    finally:
        context.close()
