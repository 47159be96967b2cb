"""Browser test of a document review: the approver reads the version issued for review and signs it, at a laptop's
1366 px and a phone's 390 px, without anything wider than the window (screenshots in tests/artifacts/)."""

import pytest
from playwright.sync_api import expect

from projects.documents import services
from projects.models import DocumentVersion, VersionStatus
from tests.browser.conftest import ARTIFACTS, login
from tests.clients.factories import PASSWORD
from tests.projects.document_factories import make_document, upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDER_THAN_WINDOW = """() => {
  const vw = document.documentElement.clientWidth;
  const wide = [];
  const insideScroller = (el) => {  // a tab bar or a table that scrolls inside its card is fine
    for (let p = el.parentElement; p; p = p.parentElement) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > vw + 1 && !insideScroller(el)) {
      wide.push(el.tagName + '.' + el.className + ' ' + el.textContent.slice(0, 30));
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, wide: wide.slice(0, 20)};
}"""


def _fits(page, label: str) -> None:
    result = page.evaluate(WIDER_THAN_WINDOW)
    assert result["scrollWidth"] <= result["innerWidth"], f"{label}: scrolls sideways {result}"
    assert not result["wide"], f"{label}: wider than the window: {result['wide']}"


@pytest.mark.parametrize("width", [1366, 390])
def test_approver_reviews_and_signs_a_document(world, browser, live_server, width):
    document = make_document(
        world.project_a,
        world.pm,
        title="Certificate of analysis, drug substance lot DS-2026-0042 (release testing, full panel)",
        file=upload("certificate-of-analysis-DS-2026-0042-release-testing-full-panel.pdf"),
    )
    services.document_version_add(
        actor=world.pm,
        document=document,
        file=upload("certificate-of-analysis-DS-2026-0042-release-testing-full-panel-rev1.pdf"),
    )
    document.refresh_from_db()
    services.document_version_issue(actor=world.pm, version=document.current)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        login(page, live_server, "approver_a", PASSWORD)
        page.goto(f"{live_server.url}/projects/{world.project_a.pk}/documents/")
        expect(page.locator("#document-list")).to_contain_text("Issued for client review")
        _fits(page, f"documents list @{width}")
        page.get_by_role("link", name=document.title).click()
        page.wait_for_load_state("networkidle")
        expect(page.locator("#review")).to_contain_text("Review and sign")
        expect(page.locator("#versions")).to_contain_text("Superseded")
        page.check("input[name=decision][value=approve]")
        page.fill("textarea[name=comment]", "Results within specification.")
        page.fill("input[name=password]", PASSWORD)
        _fits(page, f"document review @{width}")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"document-review-{width}.png"), full_page=True)
        page.get_by_role("button", name="Sign").click()
        page.wait_for_load_state("networkidle")
        expect(page.locator(".msg-success")).to_contain_text("Signed: version 2 approved")
        expect(page.locator("#review .signature-verdict")).to_have_text("signature valid")
        _fits(page, f"document signed @{width}")
        page.screenshot(path=str(ARTIFACTS / f"document-signed-{width}.png"), full_page=True)
    finally:
        context.close()
    assert DocumentVersion.objects.get(pk=document.current_id).status == VersionStatus.APPROVED
