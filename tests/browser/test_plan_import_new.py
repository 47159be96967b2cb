"""Browser test of "New project from a plan": a PM fills the project's fields, chooses a Microsoft Project XML file,
previews it and creates the project with its milestones; the page and its preview fit a laptop (1366 px) and a
phone (390 px) without sideways scrolling, with fingertip-sized controls on the phone.

Screenshots: tests/artifacts/plan-import-new-{form,preview,errors}-{1366,390}.png.
"""

import pytest

from projects.models import Project
from tests.browser.conftest import ARTIFACTS, login
from tests.browser.test_phone_layout import _check as _check_layout
from tests.clients.factories import PASSWORD
from tests.projects.test_plan_import import BAD_FILES, imported, mspdi

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1366, 390)


def _fill(page, world, code: str) -> None:
    page.select_option("select[name=client]", str(world.client_a.pk))
    page.fill("input[name=code]", code)
    page.fill("input[name=name]", "Aurora monoclonal antibody technology transfer to the 2,000 L single-use line")
    page.fill("input[name=product]", "mAb-7")
    page.select_option("select[name=service_type]", "tech_transfer")
    page.fill("input[name=budget]", "850000")


def _choose(page, text: str) -> None:
    page.set_input_files(
        "input[name=file]", files=[{"name": "aurora-plan.xml", "mimeType": "text/xml", "buffer": text.encode()}]
    )


def _check(page, label: str, width: int) -> list[str]:
    """tests/browser/test_phone_layout.py's measure of this page, the header's language menu left out (that test
    checks the header on every page)."""
    page.evaluate("() => document.querySelectorAll('.language-menu').forEach((menu) => menu.remove())")
    return _check_layout(page, label, width)


def _shot(page, name: str, width: int) -> None:
    page.screenshot(path=str(ARTIFACTS / f"plan-import-new-{name}-{width}.png"), full_page=True)


def _create_from_a_plan(browser, live_server, world, width: int) -> list[str]:
    """The whole flow in a window ``width`` px wide; the layout problems found on each step."""
    code = f"AUR-PLAN-{width}"
    problems: list[str] = []
    context = browser.new_context(viewport={"width": width, "height": 844 if width < 800 else 900})
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        errors: list[str] = []
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.on("pageerror", lambda error: errors.append(str(error)))
        login(page, live_server, "pm", PASSWORD)
        page.goto(f"{live_server.url}/projects/")
        page.get_by_role("link", name="New project from a plan").click()
        page.wait_for_load_state("networkidle")
        assert page.url.endswith("/projects/new/from-plan/")
        problems += _check(page, "form", width)
        _shot(page, "form", width)

        # A bad file: the line is named, nothing to confirm.
        _fill(page, world, code)
        _choose(page, BAD_FILES["bad date"][0])
        page.get_by_role("button", name="Preview").click()
        page.wait_for_load_state("networkidle")
        assert page.locator("#preview .error").filter(has_text="is not a date").is_visible()
        assert page.get_by_role("button", name="Create the project").count() == 0
        problems += _check(page, "errors", width)
        _shot(page, "errors", width)

        # The good file: the project and its milestones previewed, then created with the reason.
        _fill(page, world, code)
        _choose(page, mspdi())
        page.get_by_role("button", name="Preview").click()
        page.wait_for_load_state("networkidle")
        preview = page.locator("#preview")
        assert preview.get_by_text("Project to be created").is_visible()
        assert preview.get_by_role("cell", name="GMP batch 1 released").is_visible()
        problems += _check(page, "preview", width)
        _shot(page, "preview", width)
        assert not Project.objects.filter(code=code).exists()

        page.fill("input[name=reason]", "Kick-off plan agreed with Aurora")
        page.get_by_role("button", name="Create the project with 3 milestones").click()
        page.wait_for_load_state("networkidle")
        project = Project.objects.get(code=code)
        assert page.url.endswith(f"/projects/{project.pk}/")
        assert list(imported(project)) == [
            "Tech transfer complete",
            "Engineering batch released",
            "GMP batch 1 released",
        ]
        # CSP violations and script errors (the refused preview's own 400 is the answer expected)
        errors = [e for e in errors if "status of 400" not in e]
        assert errors == [], errors
    finally:
        context.close()
    return problems


def test_a_pm_creates_a_project_from_a_plan_at_1366_and_390_px(world, browser, live_server):
    ARTIFACTS.mkdir(exist_ok=True)
    problems = [p for width in WIDTHS for p in _create_from_a_plan(browser, live_server, world, width)]
    assert not problems, f"{len(problems)} layout problems:\n" + "\n".join(problems)
