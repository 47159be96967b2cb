"""Leadership asks for the portfolio in Excel: the button posts, the job page shows a progress bar that htmx keeps
current, and turns into the download link when the file is built; on a laptop (1366 px) and a phone (390 px)."""

import pytest

from metrics.export_jobs import services
from metrics.export_jobs.models import ExportJob, ExportStatus
from tests.browser.conftest import ARTIFACTS, login
from tests.clients.factories import PASSWORD
from tests.projects.factories import ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"1366": {"width": 1366, "height": 768}, "390": {"width": 390, "height": 844}}


@pytest.fixture
def no_worker(monkeypatch):
    """The job stays queued until the test builds it in this process (a session's real worker, if one runs,
    must not race the screenshots): the enqueue after commit is recorded instead of sent."""
    sent = []
    monkeypatch.setattr(services, "send_task_safely", lambda name, *args: sent.append((name, args)) or True)
    return sent


@pytest.mark.parametrize("width", sorted(VIEWPORTS))
def test_the_excel_export_shows_its_progress_then_its_download_link(world, live_server, browser, no_worker, width):
    for i in range(40):
        ProjectFactory(manager=world.pm, code=f"EXP-{i:02d}")
    context = browser.new_context(viewport=VIEWPORTS[width], is_mobile=width == "390")
    page = context.new_page()
    page.set_default_timeout(15000)
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        login(page, live_server, world.leadership.username, PASSWORD)
        page.goto(f"{live_server.url}/portfolio/")
        with page.expect_navigation():
            page.get_by_role("button", name="Excel").click()
        job = ExportJob.objects.get()
        assert page.url.endswith(f"/exports/{job.pk}/")
        assert no_worker == [(services.BUILD_TASK, (job.pk,))]
        assert page.locator("progress#export-progress").is_visible()

        # The worker is half-way (20 of the 42 rows read): the next poll shows it.
        ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, progress_done=20, progress_total=42)
        page.wait_for_selector("text=Reading rows: 20 of 42")
        assert page.locator("progress#export-progress").get_attribute("value") == "20"
        assert page.evaluate(f"document.documentElement.scrollWidth <= {VIEWPORTS[width]['width']}")
        page.screenshot(path=str(ARTIFACTS / f"export-job-running-{width}.png"), full_page=True)

        assert services.export_job_build(job_id=job.pk) == "done"  # what the worker runs
        link = page.get_by_role("link", name=f"Download {ExportJob.objects.get().filename}")
        link.wait_for()
        assert page.locator("progress").count() == 0
        page.screenshot(path=str(ARTIFACTS / f"export-job-done-{width}.png"), full_page=True)
        with page.expect_download() as download:
            link.click()
        assert download.value.suggested_filename.endswith(".xlsx")
        assert errors == []
    finally:
        context.close()
