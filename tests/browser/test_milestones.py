"""Browser tests of the project page: inline milestone edits (htmx), the client's view, re-baseline signing."""

import datetime as dt

import pytest
from django.utils import timezone
from pghistory.models import Events
from playwright.sync_api import expect

from projects.milestones import services as milestone_services
from projects.models import Baseline, BaselineStatus, Milestone, Signature
from tests.browser.conftest import ARTIFACTS, login
from tests.clients.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _timeline_titles(page) -> list[str]:
    return page.evaluate("() => [...document.querySelectorAll('#timeline svg title')].map(t => t.textContent)")


def _milestone_update_events(milestone: Milestone) -> list:
    return [
        e
        for e in Events.objects.references([milestone]).filter(pgh_label="update")
        if e.pgh_obj_model == "projects.Milestone" and str(e.pgh_obj_id) == str(milestone.pk)
    ]


def test_pm_changes_a_forecast_with_a_reason_and_the_row_and_timeline_update_in_place(
    world, live_server, page, screenshot
):
    milestone = world.milestone_a
    old_forecast = milestone.forecast_date
    new_forecast = milestone.baseline_date + dt.timedelta(days=14)
    reason = "API supplier shipped two weeks late"
    prefix = f"m{milestone.pk}"

    login(page, live_server, "pm", PASSWORD)
    page.goto(f"{live_server.url}/projects/{world.project_a.pk}/")
    project_url = page.url
    row = page.locator(f"#ms-{milestone.pk}")
    assert f"Forecast {new_forecast:%d %b %Y}" not in _timeline_titles(page)

    # A marker on window: it survives htmx swaps and disappears on a full page load.
    page.evaluate("() => { window.__noReload = 'still-here'; }")

    row.locator("summary", has_text="Update").click()
    page.fill(f"input[name={prefix}-forecast_date]", new_forecast.isoformat())
    with page.expect_response(lambda r: f"/milestones/{milestone.pk}/edit/" in r.url):
        row.get_by_role("button", name="Save").click()

    row = page.locator(f"#ms-{milestone.pk}")
    expect(row.locator(".error", has_text="Give a reason")).to_be_visible()
    milestone.refresh_from_db()
    assert milestone.forecast_date == old_forecast
    assert _milestone_update_events(milestone) == []

    # The re-rendered (still open) form keeps the date typed; add the reason and save.
    expect(page.locator(f"input[name={prefix}-forecast_date]")).to_have_value(new_forecast.isoformat())
    page.fill(f"input[name={prefix}-reason]", reason)
    with page.expect_response(lambda r: f"/milestones/{milestone.pk}/edit/" in r.url):
        row.get_by_role("button", name="Save").click()

    row = page.locator(f"#ms-{milestone.pk}")
    expect(row.locator(".error")).to_have_count(0)
    first_line = row.locator("tr").first
    expect(first_line.locator("td.num").nth(1)).to_have_text(f"{new_forecast:%d %b %Y}")
    expect(first_line.locator(".late-badge")).to_have_text("late")
    expect(first_line.locator("td.num").nth(3)).to_have_text("+14 d")
    expect(page.locator("#timeline svg title", has_text=f"Forecast {new_forecast:%d %b %Y}")).to_have_count(1)
    assert page.url == project_url
    assert page.evaluate("() => window.__noReload") == "still-here", "the page reloaded instead of an htmx swap"

    milestone.refresh_from_db()
    assert milestone.forecast_date == new_forecast
    events = _milestone_update_events(milestone)
    with_reason = [e for e in events if (e.pgh_context or {}).get("reason") == reason]
    assert len(with_reason) == 1, [(e.pgh_label, e.pgh_context) for e in events]
    assert with_reason[0].pgh_context["channel"] == "page"
    screenshot("pm-milestone-edited")
    assert page.console_errors == []  # htmx ran under the CSP without errors


def test_client_viewer_sees_only_shared_milestones_and_cannot_edit(world, live_server, page, screenshot):
    login(page, live_server, "viewer_a", PASSWORD)
    page.goto(f"{live_server.url}/projects/{world.project_a.pk}/")

    expect(page.get_by_role("heading", name=world.project_a.name)).to_be_visible()
    expect(page.locator(f"#ms-{world.milestone_a.pk}")).to_contain_text(world.milestone_a.name)
    assert world.milestone_a.name in _timeline_titles(page)

    hidden = world.internal_milestone_a
    assert hidden.name not in page.content()
    assert hidden.name not in page.locator("#timeline").inner_html()
    assert hidden.name not in _timeline_titles(page)
    expect(page.locator(f"#ms-{hidden.pk}")).to_have_count(0)

    expect(page.locator("summary", has_text="Update")).to_have_count(0)
    expect(page.locator("form.inline-form")).to_have_count(0)
    expect(page.locator(f"input[name=m{world.milestone_a.pk}-forecast_date]")).to_have_count(0)
    expect(page.locator("nav.tabs")).to_be_visible()
    expect(page.get_by_role("link", name="Audit trail")).to_have_count(0)
    expect(page.get_by_role("button", name="Start project")).to_have_count(0)
    screenshot("client-project-page")


def test_pm_proposes_a_rebaseline_and_the_client_approver_signs_it(world, browser, live_server, page, screenshot):
    project = world.project_a
    project.status = "planned"
    project.save()
    milestone = world.milestone_a
    # A re-baseline re-plans work still ahead: the milestone is due in the future.
    ahead = timezone.localdate() + dt.timedelta(days=45)
    Milestone.objects.filter(pk=milestone.pk).update(baseline_date=ahead, forecast_date=ahead)
    milestone.refresh_from_db()
    new_date = milestone.baseline_date + dt.timedelta(days=21)
    rebaseline_reason = "Client asked for an extra engineering batch"

    # The PM starts the project: the initial baseline.
    login(page, live_server, "pm", PASSWORD)
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    start = page.get_by_role("button", name="Start project")
    start.click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".msg-success")).to_contain_text("Project started")
    assert Baseline.objects.filter(project=project, status=BaselineStatus.APPROVED).count() == 1

    # The plan moves (a forecast slips), then the PM proposes the re-baseline.
    milestone_services.milestone_update(
        actor=world.pm,
        milestone=milestone,
        reason="Extra batch",
        forecast_date=new_date,
    )
    page.get_by_role("link", name="Baselines").click()
    page.wait_for_load_state("networkidle")
    page.fill("textarea[name=reason]", rebaseline_reason)
    page.get_by_role("button", name="Propose re-baseline").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".msg-success")).to_contain_text("Re-baseline proposed")
    proposed = Baseline.objects.get(project=project, status=BaselineStatus.PROPOSED)
    assert proposed.reason == rebaseline_reason
    assert proposed.items.get(milestone=milestone).date == new_date

    # The client's approver, in a browser context of their own.
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    try:
        approver = context.new_page()
        approver.set_default_timeout(15000)
        login(approver, live_server, "approver_a", PASSWORD)
        approver.goto(f"{live_server.url}/projects/{project.pk}/")
        approver.get_by_role("link", name="Baselines").click()
        approver.wait_for_load_state("networkidle")
        proposed_panel = approver.locator(".panel", has_text=rebaseline_reason)
        expect(proposed_panel.locator(".badge.baseline-proposed")).to_be_visible()
        approver.get_by_role("link", name="Review and sign").click()
        approver.wait_for_load_state("networkidle")
        assert approver.url.endswith(f"/baselines/{proposed.pk}/sign/")
        expect(approver.locator("body")).to_contain_text(rebaseline_reason)
        assert world.internal_milestone_a.name not in approver.content()

        # Wrong password: nothing is signed.
        approver.check("input[name=decision][value=approve]")
        approver.fill("input[name=password]", "not-my-password")
        approver.get_by_role("button", name="Sign").click()
        approver.wait_for_load_state("networkidle")
        expect(approver.locator(".error", has_text="password is not correct")).to_be_visible()
        proposed.refresh_from_db()
        assert proposed.status == BaselineStatus.PROPOSED
        assert not Signature.objects.filter(object_id=proposed.pk, project=project).exists()
        milestone.refresh_from_db()
        assert milestone.baseline_date != new_date
        ARTIFACTS.mkdir(exist_ok=True)
        approver.screenshot(path=str(ARTIFACTS / "baseline-sign.png"), full_page=True)

        # The right password: approved, and the proposed dates become the baseline.
        approver.check("input[name=decision][value=approve]")
        approver.fill("input[name=password]", PASSWORD)
        approver.get_by_role("button", name="Sign").click()
        approver.wait_for_load_state("networkidle")
        assert approver.url.endswith(f"/projects/{project.pk}/baselines/")
        expect(approver.locator(".msg-success")).to_contain_text("Signed")
        approver.screenshot(path=str(ARTIFACTS / "baseline-signed.png"), full_page=True)
    finally:
        context.close()

    proposed.refresh_from_db()
    assert proposed.status == BaselineStatus.APPROVED
    assert proposed.decided_at is not None
    signature = Signature.objects.get(object_id=proposed.pk, project=project)
    assert signature.signer == world.approver_a
    assert signature.meaning == "approval"
    milestone.refresh_from_db()
    assert milestone.baseline_date == new_date
    assert milestone.slip_days == 0


@pytest.mark.parametrize(("width", "height"), [(1366, 900), (390, 844)])
def test_the_update_form_shows_the_dates_and_changing_only_percent_keeps_them(
    world, live_server, browser, width, height
):
    """The defect of the first build: date inputs rendered empty and saving erased the forecast."""
    today = timezone.localdate()
    milestone = world.milestone_a
    Milestone.objects.filter(pk=milestone.pk).update(
        baseline_date=today + dt.timedelta(days=20), forecast_date=today + dt.timedelta(days=34), percent_complete=20
    )
    milestone.refresh_from_db()
    events_before = len(_milestone_update_events(milestone))
    prefix = f"m{milestone.pk}"
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    try:
        login(page, live_server, "pm", PASSWORD)
        page.goto(f"{live_server.url}/projects/{world.project_a.pk}/")
        row = page.locator(f"#ms-{milestone.pk}")
        row.locator("summary", has_text="Update").click()
        forecast = page.locator(f"input[name={prefix}-forecast_date]")
        expect(forecast).to_have_value(milestone.forecast_date.isoformat())  # ISO: the picker shows it
        ARTIFACTS.mkdir(exist_ok=True)
        row.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"milestone-update-form-{width}-before.png"), full_page=True)

        page.fill(f"input[name={prefix}-percent_complete]", "45")
        with page.expect_response(lambda r: f"/milestones/{milestone.pk}/edit/" in r.url):
            row.get_by_role("button", name="Save").click()
        page.wait_for_load_state("networkidle")
        expect(page.locator(f"#ms-{milestone.pk}").locator(".error")).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / f"milestone-update-form-{width}-after.png"), full_page=True)
    finally:
        context.close()

    stored = Milestone.objects.get(pk=milestone.pk)
    assert stored.percent_complete == 45
    assert stored.forecast_date == milestone.forecast_date  # kept
    assert stored.baseline_date == milestone.baseline_date
    assert stored.actual_date is None
    changes = [e.pgh_diff for e in _milestone_update_events(milestone)][events_before:]
    assert len(changes) == 1, changes
    assert set(changes[0]) == {"percent_complete", "version"}, changes
    assert errors == []
