"""Browser test of a change request: the PM drafts and submits it, the client's approver reads and signs it."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from projects.costs import services as cost_services
from projects.issues import services as issue_services
from projects.models import ChangeRequest, ChangeRequestStatus, CostEntry, Milestone, Project, Signature
from projects.quality import services as quality_services
from projects.risks import services as risk_services
from tests.browser.conftest import login
from tests.clients.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pm_submits_a_change_and_the_client_approver_signs_it(world, browser, live_server, page, screenshot):
    project = world.project_a
    shared, internal = world.milestone_a, world.internal_milestone_a
    shared_before, internal_before = shared.forecast_date, internal.forecast_date
    moved = shared_before + dt.timedelta(days=14)
    title = "Extra engineering batch before PPQ"

    # The PM, in a browser context of their own, drafts the change on the "Change requests" tab and submits it.
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    try:
        pm = context.new_page()
        pm.set_default_timeout(15000)
        login(pm, live_server, "pm", PASSWORD)
        pm.goto(f"{live_server.url}/projects/{project.pk}/")
        pm.locator("nav.tabs").get_by_role("link", name="Change requests").click()
        pm.wait_for_load_state("networkidle")
        pm.fill("input[name=title]", title)
        pm.fill("textarea[name=description]", "The client asked for one more engineering batch to de-risk PPQ.")
        pm.fill("input[name=schedule_impact_days]", "14")
        pm.fill("input[name=cost_impact]", "50000")
        pm.fill("textarea[name=scope_impact]", "One additional 200 L engineering batch")
        pm.fill("input[name=scope_impact_percent]", "5")
        pm.select_option("select[name=quality_impact]", "minor")
        pm.get_by_role("button", name="Save draft").click()
        pm.wait_for_load_state("networkidle")
        expect(pm.locator(".msg-success")).to_contain_text("Draft CR-1 saved")
        change = ChangeRequest.objects.get(project=project)
        assert change.status == ChangeRequestStatus.DRAFT
        pm.get_by_role("button", name=f"Submit to {world.client_a.name}").click()
        pm.wait_for_load_state("networkidle")
        expect(pm.locator(".page-head .badge.cr-submitted")).to_be_visible()
    finally:
        context.close()
    change.refresh_from_db()
    assert change.status == ChangeRequestStatus.SUBMITTED
    assert (change.schedule_impact_days, change.cost_impact) == (14, Decimal("50000.00"))

    # The client's approver sees the bell, follows the notification and reads the impact.
    login(page, live_server, "approver_a", PASSWORD)
    bell = page.locator("a.bell")
    expect(bell.locator(".bell-count")).to_have_text("1")
    bell.click()
    page.wait_for_load_state("networkidle")
    screenshot("notifications")
    page.get_by_role("link", name=f"CR-1 “{title}” awaits your decision").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/change-requests/{change.pk}/")
    impact = page.locator("#impact")
    expect(impact).to_contain_text("+14 days")
    expect(impact).to_contain_text("+EUR 50,000.00")
    expect(impact).to_contain_text("One additional 200 L engineering batch")
    expect(impact).to_contain_text("Minor")
    expect(impact.locator("tr", has_text=shared.name)).to_contain_text(f"{moved:%d %b %Y}")
    assert internal.name not in page.content()

    expect(page.locator(".bell-count")).to_have_count(0)  # opening the request read its notification
    page.check("input[name=decision][value=approve]")
    page.fill("textarea[name=comment]", "Agreed in the steering committee.")
    screenshot("change-request-sign")

    # A wrong password first: nothing is signed, nothing moves.
    page.fill("input[name=password]", "not-my-password")
    page.get_by_role("button", name="Sign").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".error", has_text="password is not correct")).to_be_visible()
    change.refresh_from_db()
    assert change.status == ChangeRequestStatus.SUBMITTED
    assert not Signature.objects.filter(object_id=change.pk, project=project).exists()
    assert Milestone.objects.get(pk=shared.pk).forecast_date == shared_before

    # The right password: approved, and the plan moves.
    page.check("input[name=decision][value=approve]")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".msg-success")).to_contain_text("Signed: CR-1 approved")
    expect(page.locator(".page-head .badge.cr-approved")).to_have_text("Approved")
    expect(page.locator(".signatures")).to_contain_text(world.approver_a.display_name)

    page.goto(f"{live_server.url}/projects/{project.pk}/change-requests/")
    expect(page.locator("tr", has_text=title).locator(".badge.cr-approved")).to_be_visible()
    expect(page.locator("nav.tabs")).not_to_contain_text("Costs")
    screenshot("client-change-requests")

    page.goto(f"{live_server.url}/projects/{project.pk}/")
    first_line = page.locator(f"#ms-{shared.pk} tr").first
    expect(first_line.locator("td.num").nth(1)).to_have_text(f"{moved:%d %b %Y}")
    expect(first_line.locator("td.num").nth(3)).to_have_text("+14 d")
    screenshot("project-after-cr")

    change.refresh_from_db()
    assert change.status == ChangeRequestStatus.APPROVED
    assert change.decided_by == world.approver_a
    signature = Signature.objects.get(object_id=change.pk, project=project)
    assert (signature.signer, signature.meaning) == (world.approver_a, "approval")
    assert Milestone.objects.get(pk=shared.pk).forecast_date == shared_before + dt.timedelta(days=14)
    assert Milestone.objects.get(pk=internal.pk).forecast_date == internal_before + dt.timedelta(days=14)
    assert Project.objects.get(pk=project.pk).budget == Decimal("1050000.00")


def test_pm_works_the_constraint_pages(world, live_server, page, screenshot):
    project = world.project_a
    pm = world.pm
    batch = quality_services.batch_create(
        actor=pm, project=project, number="B-001", planned_date=dt.date(2026, 3, 1), outcome="released"
    )
    quality_services.quality_event_create(
        actor=pm,
        project=project,
        reference="CAPA-2026-003",
        title="Label reconciliation",
        kind="capa",
        severity="major",
        opened=dt.date(2026, 1, 10),
        due=dt.date(2026, 2, 10),
        visibility="shared",
    )
    quality_services.quality_event_create(
        actor=pm,
        project=project,
        reference="DEV-2026-014",
        title="Bioburden excursion",
        kind="deviation",
        severity="minor",
        opened=dt.date(2026, 3, 2),
        batch=batch,
        visibility="shared",
    )
    for title, p, i in [
        ("Single-source resin", 4, 5),
        ("Analyst turnover", 3, 3),
        ("Late reference standard", 2, 2),
        ("Cold-chain courier capacity", 4, 4),
    ]:
        risk_services.risk_create(
            actor=pm, project=project, title=title, probability=p, impact=i, owner=pm, visibility="shared"
        )
    cost_services.invoice_create(actor=pm, project=project, number="INV-0001", date=dt.date(2026, 2, 15), amount=300000)
    issue = issue_services.issue_raise(actor=world.viewer_a, project=project, title="Certificate of analysis missing")
    issue_services.issue_comment(actor=world.viewer_a, issue=issue, body="We need the CoA for lot B-001 by Friday.")

    login(page, live_server, "pm", PASSWORD)
    base = f"{live_server.url}/projects/{project.pk}"

    # Costs: a bad CSV row names the line and column and imports nothing; a good one imports.
    page.goto(f"{base}/costs/")
    page.fill(
        "textarea[name=import-text]",
        "date,amount,category,description\n2026-02-01,1000,labour,Night shift\n2026-02-02,abc,materials,Resin\n",
    )
    page.get_by_role("button", name="Import").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#import .error")).to_contain_text("Line 3, column amount")
    assert not CostEntry.objects.exists()
    page.fill(
        "textarea[name=import-text]",
        "date,amount,category,description\n2026-02-01,1000,labour,Night shift\n2026-02-02,2500.50,materials,Resin\n",
    )
    page.get_by_role("button", name="Import").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".msg-success")).to_contain_text("Imported 2 cost entries")
    assert CostEntry.objects.count() == 2
    screenshot("pm-costs")

    page.goto(f"{base}/quality/")
    expect(page.locator("tr", has_text="CAPA-2026-003").locator(".late-badge")).to_have_text("overdue CAPA")
    screenshot("pm-quality")

    page.goto(f"{base}/risks/")
    expect(page.locator('#heatmap g[data-probability="4"][data-impact="5"]')).to_have_attribute("data-count", "1")
    expect(page.locator("#register tbody tr").first).to_contain_text("Single-source resin")
    screenshot("pm-risks")

    page.goto(f"{live_server.url}/issues/{issue.pk}/")
    page.fill("textarea[name=body]", "Sent this morning; QA released it yesterday.")
    page.evaluate("() => { window.__noReload = 'still-here'; }")
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator("#thread .comment")).to_have_count(2)
    assert page.evaluate("() => window.__noReload") == "still-here", "the page reloaded instead of an htmx swap"
    page.reload()
    expect(page.locator(".card", has_text="Time to first response")).not_to_contain_text("—")
    screenshot("pm-issue")
