"""A client answers a satisfaction survey on a phone-sized screen, from the dashboard, in a few taps."""

import time

import pytest
from django.utils import timezone

from metrics.lean.services import kpi_target_set
from metrics.surveys import services as survey_services
from metrics.surveys.models import InvitationStatus, SurveyInvitation, SurveyResponse
from tests.browser.conftest import ARTIFACTS, login
from tests.clients.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def no_sideways_scroll(page) -> bool:
    return page.evaluate(f"document.documentElement.scrollWidth <= {PHONE['width']}")


def test_a_client_answers_a_survey_on_a_phone_in_under_a_minute(world, live_server, phone):
    # The milestone the client can see completes; the hourly job invites the client's users.
    world.milestone_a.actual_date = timezone.localdate()
    world.milestone_a.percent_complete = 100
    world.milestone_a.save()
    survey_services.surveys_run_schedule(now=timezone.now())
    invitation = SurveyInvitation.objects.get(recipient=world.viewer_a)
    kpi_target_set(actor=world.leadership, client=world.client_a, metric="on_time_milestones", target="90")

    ARTIFACTS.mkdir(exist_ok=True)
    login(phone, live_server, "viewer_a", PASSWORD)
    started = time.monotonic()
    assert phone.locator("#surveys-to-answer").is_visible()
    assert phone.locator("#kpi-targets").is_visible()
    assert no_sideways_scroll(phone)
    phone.screenshot(path=str(ARTIFACTS / "survey-phone-dashboard.png"), full_page=True)
    with phone.expect_navigation():
        phone.get_by_role("link", name="Answer (1 min)").tap()
    assert "How are we doing?" in phone.content()
    assert no_sideways_scroll(phone)

    answers = {"Communication": "5", "Responsiveness": "4", "Quality": "5", "Schedule": "3", "Overall": "4"}
    for question, value in answers.items():
        phone.locator("fieldset.scale", has_text=question).locator("label.scale-option", has_text=value).first.tap()
    phone.locator("fieldset.nps label.scale-option").filter(has_text="9").tap()
    phone.fill("textarea[name=comment]", "Clear weekly updates.")
    for option in phone.locator("label.scale-option").all()[:5]:
        box = option.bounding_box()
        assert box["height"] >= 40  # a comfortable tap target
    phone.screenshot(path=str(ARTIFACTS / "survey-phone.png"), full_page=True)

    with phone.expect_navigation(url="**/surveys/"):
        phone.get_by_role("button", name="Send my answers").tap()
    elapsed = time.monotonic() - started

    assert "Thank you — your answers were recorded." in phone.content()
    assert elapsed < 60
    assert no_sideways_scroll(phone)
    phone.screenshot(path=str(ARTIFACTS / "survey-phone-thanks.png"), full_page=True)
    response = SurveyResponse.objects.get()
    assert (response.csat_communication, response.csat_schedule, response.csat_overall, response.nps) == (5, 3, 4, 9)
    assert response.comment == "Clear weekly updates."
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ANSWERED
    assert response.issue is None


def test_leadership_reviews_lean_figures_and_pm_workload(world, live_server, page, screenshot):
    from metrics.lean.services import kpi_target_set, lean_rollup_refresh
    from tests.metrics.lean_project import NOW, build_project_in_db

    lean_a = build_project_in_db(client=world.client_a, manager=world.pm, code="LEAN-A")
    build_project_in_db(client=world.client_b, manager=world.other_pm, code="LEAN-B", service_type="analytical")
    lean_rollup_refresh(now=NOW)
    kpi_target_set(actor=world.leadership, client=world.client_a, metric="otif", target="95")

    login(page, live_server, "lead", PASSWORD)
    page.goto(f"{live_server.url}/portfolio/lean/?by=project&quarter=2026Q2&project={lean_a.pk}")
    assert page.locator("table.lean-table tbody tr").count() == 2
    assert page.locator("table.lean-table", has_text="accidental PM").is_visible()
    assert page.locator("#project-phases", has_text="Process familiarisation").is_visible()
    screenshot("lean-portfolio")
    page.goto(f"{live_server.url}/portfolio/pm/")
    assert page.get_by_text("accidental PM").first.is_visible()
    screenshot("pm-workload")
    page.goto(f"{live_server.url}/portfolio/kpi-targets/")
    screenshot("kpi-targets")
