"""Export jobs (issue 13): the portfolio's XLSX and PDF and the audit trail PDF are asked for by a POST, built by a
Celery worker reading the rows in chunks with progress, kept in PostgreSQL for 24 hours and served only to the user
who asked, while they still may read the report in the same scope."""

import datetime as dt
import io
import re
import time
from dataclasses import replace

import pytest
from django.conf import settings
from django.test import Client as PageClient
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from clients.models import Role, SecurityEvent, SecurityEventKind
from cmo_portal import audit_report
from cmo_portal.audit_chain import chain_head
from cmo_portal.audit_forms import AuditReportFilterForm
from metrics.export_jobs import portfolio as portfolio_jobs
from metrics.export_jobs import services
from metrics.export_jobs.kinds import EXPORT_KINDS
from metrics.export_jobs.models import EXPORT_KEPT_FOR, ExportJob, ExportKind, ExportStatus
from metrics.export_jobs.tasks import build_export
from metrics.portfolio import exports, selectors
from metrics.scores import services as score_services
from projects.milestones import services as milestone_services
from tests.conftest import second_connection
from tests.metrics.export_job_helpers import export_through_job, job_id_of, portfolio_export_url
from tests.projects.factories import ProjectFactory

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def scored(world) -> None:
    """Project B slips, project A's milestones are done on time: B ranks first; scores in both lenses."""
    for milestone in (world.milestone_a, world.internal_milestone_a):
        milestone_services.milestone_update(
            actor=world.pm, milestone=milestone, actual_date=dt.date(2026, 6, 1), today=dt.date(2026, 11, 24)
        )
    milestone_services.milestone_update(
        actor=world.pm, milestone=world.milestone_b, forecast_date=dt.date(2026, 12, 1), reason="Slipped"
    )
    score_services.scores_recompute(now=NOW)


def sheet_values(content: bytes) -> list[tuple]:
    return [tuple(cell.value for cell in row) for row in load_workbook(io.BytesIO(content)).active.iter_rows()]


def pdf_words(content: bytes) -> str:
    """The PDF's text, the moment it was generated masked (both exports print it)."""
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(content)).pages)
    text = re.sub(r"\d{2} \w{3} \d{4} \d{2}:\d{2}", "<generated>", text)
    return re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC · prepared", "<generated> UTC · prepared", text)


def ask(client, user, fmt: str = "xlsx") -> int:
    client.force_login(user)
    return job_id_of(client.post(portfolio_export_url(fmt)))


def job_urls(job_id: int) -> list[str]:
    return [reverse(name, kwargs={"pk": job_id}) for name in ("export-job", "export-job-download")]


# --- Asking: POST with CSRF, never GET --------------------------------------------------------------------------


def test_the_excel_button_posts_a_job_and_lands_on_its_page_with_a_progress_bar(
    world, client, django_capture_on_commit_callbacks
):
    client.force_login(world.leadership)
    page = client.get(reverse("portfolio")).content.decode()
    assert f'<form method="post" action="{portfolio_export_url("xlsx")}"' in page
    assert f'<form method="post" action="{portfolio_export_url("pdf")}"' in page
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(portfolio_export_url("xlsx"))
    job = ExportJob.objects.get(pk=job_id_of(response))
    assert (job.requested_by, job.kind, job.status, job.parameters) == (
        world.leadership,
        "portfolio_xlsx",
        "queued",
        {},
    )
    assert len(callbacks) == 1  # the build is sent to the worker once the job is committed
    html = client.get(response["Location"]).content.decode()
    assert "<progress" in html
    assert f'hx-get="{reverse("export-job", kwargs={"pk": job.pk})}" hx-trigger="every 1s"' in html
    assert "Waiting for a worker" in html


def test_asking_twice_while_queued_gives_the_same_job_and_too_many_are_refused(world, client):
    first = ask(client, world.leadership)
    assert ask(client, world.leadership) == first
    ask(client, world.leadership, "pdf")
    client.post(reverse("audit-report-pdf"))
    response = client.post(portfolio_export_url("xlsx"), {}, follow=True)  # a second XLSX: the same job
    assert response.redirect_chain[-1][0] == reverse("export-job", kwargs={"pk": first})
    refused = client.post(reverse("audit-report-pdf"), {"kind": "login"}, follow=True)  # a fourth, other filters
    assert "You already have 3 exports in progress; wait for one to finish." in refused.content.decode()
    ExportJob.objects.filter(pk=first).update(status=ExportStatus.FAILED)
    assert job_id_of(client.post(reverse("audit-report-pdf"), {"kind": "login"})) > first
    assert ExportJob.objects.filter(status=ExportStatus.QUEUED).count() == 3


def test_a_post_without_the_csrf_token_is_refused(world):
    browser = PageClient(enforce_csrf_checks=True)
    browser.force_login(world.leadership)
    assert browser.post(portfolio_export_url("xlsx")).status_code == 403
    assert browser.post(reverse("audit-report-pdf")).status_code == 403
    assert not ExportJob.objects.exists()


def test_a_get_on_the_create_urls_does_nothing(world, client):
    client.force_login(world.leadership)
    for url in (portfolio_export_url("xlsx"), portfolio_export_url("pdf"), reverse("audit-report-pdf")):
        assert client.get(url).status_code == 405
    old_link = client.get(reverse("portfolio") + "?format=xlsx")  # the former synchronous link: the page
    assert old_link["Content-Type"].startswith("text/html")
    assert not ExportJob.objects.exists()


def test_unknown_formats_and_filters_are_refused_with_a_message(world, client):
    client.force_login(world.leadership)
    assert client.post(reverse("portfolio-export", kwargs={"fmt": "docx"})).status_code == 404
    response = client.post(portfolio_export_url("xlsx"), {"client": "1"}, follow=True)
    assert "The portfolio export takes no filters (got client)." in response.content.decode()
    refused = client.post(reverse("audit-report-pdf"), {"date_from": "2026-03-02", "date_to": "2026-03-01"})
    assert refused.status_code == 400
    assert "The start date is after the end date." in refused.content.decode()
    assert not ExportJob.objects.exists()


# --- Who: the requester only, in the scope they asked in --------------------------------------------------------


@pytest.mark.parametrize("other", ["admin", "other_pm", "pm", "approver_a", "viewer_b"])
def test_only_the_user_who_asked_sees_the_job_and_its_file(world, client, other):
    scored(world)
    job_id = ask(client, world.leadership)
    assert services.export_job_build(job_id=job_id) == "done"
    assert client.get(job_urls(job_id)[1]).status_code == 200
    client.force_login(getattr(world, other))
    for url in job_urls(job_id):
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = client.get(url, **headers)
            assert response.status_code == 404, url
            assert world.project_b.code.encode() not in response.content


def test_a_client_user_can_ask_for_no_export_and_reach_no_staff_export(world, client):
    job_id = ask(client, world.leadership)
    services.export_job_build(job_id=job_id)
    client.force_login(world.approver_a)
    for url in (portfolio_export_url("xlsx"), portfolio_export_url("pdf"), reverse("audit-report-pdf")):
        assert client.post(url).status_code == 404
    for url in job_urls(job_id):
        assert client.get(url).status_code == 404
    assert ExportJob.objects.count() == 1


def test_a_pms_export_holds_their_own_projects_only(world, client):
    ProjectFactory(manager=world.other_pm, code="OTHER-PM-1")
    client.force_login(world.other_pm)
    sheet = sheet_values(export_through_job(client, portfolio_export_url("xlsx")).content)
    assert [row[0] for row in sheet[1:]] == ["OTHER-PM-1"]


def test_a_changed_role_builds_nothing_and_downloads_nothing(world, client):
    """Access can change between the click and the download: checked again when building and on every read."""
    queued = ask(client, world.pm)
    built = ask(client, world.pm, "pdf")
    ExportJob.objects.filter(pk=built).update(status=ExportStatus.DONE, content=b"%PDF-1.7 every project of pm")
    world.pm.role, world.pm.client = Role.CLIENT_VIEWER, world.client_a  # the account now belongs to a client
    world.pm.save()
    assert services.export_job_build(job_id=queued) == "failed"
    job = ExportJob.objects.get(pk=queued)
    assert (job.status, job.error, job.content) == ("failed", services.NO_LONGER_ALLOWED, None)
    for job_id in (queued, built):
        for url in job_urls(job_id):
            assert client.get(url).status_code == 404


def test_leadership_moved_to_pm_no_longer_downloads_the_whole_portfolio(world, client):
    scored(world)
    job_id = ask(client, world.leadership)
    services.export_job_build(job_id=job_id)
    world.leadership.role = Role.PROJECT_MANAGER  # may still see a portfolio, but only their own projects
    world.leadership.save()
    assert client.get(job_urls(job_id)[1]).status_code == 404


def test_the_worker_never_builds_a_job_for_a_client_user(world):
    """No page lets a client user ask; a job row in their name (written by hand) is refused when built."""
    job = ExportJob.objects.create(
        requested_by=world.approver_a,
        kind=ExportKind.PORTFOLIO_XLSX,
        access_scope=f"client_approver:{world.client_a.pk}",
    )
    assert services.export_job_build(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert job.content is None
    assert job.error == services.NO_LONGER_ALLOWED


# --- What: the same files the synchronous exports made -----------------------------------------------------------


def test_the_xlsx_built_by_the_job_holds_what_the_synchronous_export_made(world, client):
    scored(world)
    client.force_login(world.leadership)
    response = export_through_job(client, portfolio_export_url("xlsx"))
    assert response["Content-Type"] == XLSX
    assert re.fullmatch(r'attachment; filename="portfolio-\d{8}-\d{4}\.xlsx"', response["Content-Disposition"])
    assert response["Cache-Control"] == "private, no-store"
    synchronous = exports.portfolio_xlsx(selectors.portfolio_rows(user=world.leadership))
    assert sheet_values(response.content) == sheet_values(synchronous)
    assert sheet_values(response.content)[1][0] == world.project_b.code
    job = ExportJob.objects.get()
    assert (job.status, job.progress_done, job.progress_total, job.rows) == ("done", 2, 2, 2)
    assert job.size_bytes == len(response.content)


def test_the_pdf_built_by_the_job_holds_what_the_synchronous_export_made(world, client):
    scored(world)
    client.force_login(world.leadership)
    response = export_through_job(client, portfolio_export_url("pdf"))
    assert response["Content-Type"] == "application/pdf"
    rows = selectors.portfolio_rows(user=world.leadership)
    synchronous = exports.portfolio_pdf(rows, user=world.leadership, chart=exports.risk_bar_svg(rows))
    assert pdf_words(response.content) == pdf_words(synchronous)
    assert world.project_b.code in pdf_words(response.content)


def test_the_audit_pdf_built_by_the_job_holds_what_the_synchronous_export_made_and_is_recorded(world, client):
    milestone_services.milestone_update(
        actor=world.pm, milestone=world.milestone_a, forecast_date=dt.date(2026, 12, 1), reason="Resin delivery"
    )
    client.force_login(world.leadership)
    page = client.get(reverse("audit-report"), {"project": world.project_a.pk}).content.decode()
    assert f'<input type="hidden" name="project" value="{world.project_a.pk}">' in page  # the button posts the filters
    job_id = job_id_of(client.post(reverse("audit-report-pdf"), {"project": world.project_a.pk}))
    assert services.export_job_build(job_id=job_id) == "done"
    job = ExportJob.objects.get()
    assert job.parameters == {"project": str(world.project_a.pk)}
    form = AuditReportFilterForm({"project": world.project_a.pk}, user=world.leadership)
    assert form.is_valid()
    filters = form.filters()  # what the synchronous view did, read now (before the download is recorded)
    events = list(audit_report.record_events(filters)[: audit_report.PDF_LIMIT + 1])
    security = list(audit_report.security_events(filters, user=world.leadership)[: audit_report.PDF_LIMIT + 1])
    synchronous = audit_report.audit_report_pdf(
        rows=audit_report.report_rows(events, user=world.leadership),
        security=security,
        truncated={"events": False, "security": False},
        filters=filters,
        head=chain_head(),
        user=world.leadership,
    )
    response = client.get(reverse("export-job-download", kwargs={"pk": job_id}))
    assert response["Content-Type"] == "application/pdf"
    assert "Resin delivery" in pdf_words(response.content)
    assert pdf_words(response.content) == pdf_words(synchronous)
    export = SecurityEvent.objects.get(kind=SecurityEventKind.EXPORT)
    assert export.detail == {
        "export": "system audit trail (PDF)",
        "filters": {"project": world.project_a.code},
        "rows": job.rows,
    }


# --- Progress ---------------------------------------------------------------------------------------------------


def test_progress_is_reported_after_each_chunk_of_rows(world):
    for i in range(5):
        ProjectFactory(manager=world.pm, code=f"CHUNK-{i}")
    seen = []
    rows = portfolio_jobs.portfolio_rows_in_chunks(
        world.leadership, lambda done, total: seen.append((done, total)), chunk=3
    )
    assert seen == [(0, 7), (3, 7), (6, 7), (7, 7)]
    assert [r.code for r in rows] == [r.code for r in selectors.portfolio_rows(user=world.leadership)]


def test_the_status_htmx_polls_shows_the_progress_then_the_download_link(world, client):
    job_id = ask(client, world.leadership)
    ExportJob.objects.filter(pk=job_id).update(status=ExportStatus.RUNNING, progress_done=3, progress_total=7)
    poll = client.get(reverse("export-job", kwargs={"pk": job_id}), HTTP_HX_REQUEST="true")
    html = poll.content.decode()
    assert "<html" not in html  # the status fragment only
    assert '<progress id="export-progress" max="7" value="3">42%</progress>' in html
    assert "Reading rows: 3 of 7" in html
    assert poll["Cache-Control"] == "private, no-store"
    services.export_job_build(job_id=job_id)
    done = client.get(reverse("export-job", kwargs={"pk": job_id}), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-get" not in done  # polling stops
    assert f'href="{reverse("export-job-download", kwargs={"pk": job_id})}"' in done
    assert "<progress" not in done


def test_a_download_before_the_file_is_built_goes_to_the_jobs_page(world, client):
    job_id = ask(client, world.leadership)
    response = client.get(reverse("export-job-download", kwargs={"pk": job_id}))
    assert response.status_code == 302
    assert response["Location"] == reverse("export-job", kwargs={"pk": job_id})


# --- Redelivery, failure, expiry --------------------------------------------------------------------------------


def test_a_second_delivery_changes_nothing_and_a_killed_run_is_built_again(world, client):
    done = ask(client, world.leadership)
    assert services.export_job_build(job_id=done) == "done"
    before = ExportJob.objects.get(pk=done)
    assert services.export_job_build(job_id=done) == "already done"
    after = ExportJob.objects.get(pk=done)
    assert (bytes(after.content), after.finished_at) == (bytes(before.content), before.finished_at)

    killed = ask(client, world.leadership, "pdf")  # a worker killed mid-build left it running
    ExportJob.objects.filter(pk=killed).update(status=ExportStatus.RUNNING, progress_done=1, progress_total=2)
    assert services.export_job_build(job_id=killed) == "done"
    assert bytes(ExportJob.objects.get(pk=killed).content).startswith(b"%PDF")


@pytest.mark.django_db(transaction=True)
def test_a_delivery_while_another_builds_the_same_job_does_nothing(world, client, monkeypatch):
    # The job's message is recorded, not sent: a worker of the test session would otherwise build it first.
    monkeypatch.setattr(services, "send_task_safely", lambda name, *args: True)
    job_id = ask(client, world.leadership)
    other = second_connection()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [services.EXPORT_JOB_LOCK, job_id])
        assert services.export_job_build(job_id=job_id) == "busy"
        assert ExportJob.objects.get(pk=job_id).status == ExportStatus.QUEUED
    finally:
        other.close()
    time.sleep(0.2)  # the other session's lock goes with its connection
    assert services.export_job_build(job_id=job_id) == "done"


def test_a_failing_build_fails_the_job_with_a_message_never_a_traceback(world, client, monkeypatch):
    def broken(user, parameters, progress):
        raise RuntimeError("relation export_internals does not exist at line 42")

    monkeypatch.setitem(EXPORT_KINDS, "portfolio_xlsx", replace(EXPORT_KINDS["portfolio_xlsx"], build=broken))
    job_id = ask(client, world.leadership)
    assert build_export.apply(args=[job_id]).get() == "failed"  # retried, then given up
    job = ExportJob.objects.get(pk=job_id)
    assert (job.status, job.error, job.content) == ("failed", services.FAILED_TO_BUILD, None)
    html = client.get(reverse("export-job", kwargs={"pk": job_id})).content.decode()
    assert services.FAILED_TO_BUILD.replace("'", "&#x27;") in html
    assert "RuntimeError" not in html
    assert "export_internals" not in html
    assert "Traceback" not in html


def test_filters_no_longer_valid_fail_the_audit_pdf_with_their_reason(world, client):
    client.force_login(world.leadership)
    job_id = job_id_of(client.post(reverse("audit-report-pdf"), {"project": world.project_a.pk}))
    world.project_a.delete()  # the filter's project is gone when the worker reads the filters again
    assert services.export_job_build(job_id=job_id) == "failed"
    error = ExportJob.objects.get(pk=job_id).error
    assert error.startswith("The filters are no longer valid: ")
    assert "Select a valid choice" in error


def test_the_sweep_deletes_expired_jobs_fails_stuck_ones_and_sends_lost_ones_again(world, client):
    asked = ExportJob.objects.get(pk=ask(client, world.leadership))
    assert asked.expires_at - asked.created_at == EXPORT_KEPT_FOR == dt.timedelta(hours=24)
    now = timezone.now()

    def job(**fields) -> ExportJob:
        return ExportJob.objects.create(
            requested_by=world.leadership, kind=ExportKind.PORTFOLIO_XLSX, access_scope="leadership:", **fields
        )

    expired = job(status=ExportStatus.DONE, content=b"old file", expires_at=now - dt.timedelta(seconds=1))
    kept = job(status=ExportStatus.DONE, content=b"new file", expires_at=now + dt.timedelta(hours=1))
    stuck = job(status=ExportStatus.RUNNING, created_at=now - dt.timedelta(minutes=31))
    lost = job(created_at=now - dt.timedelta(minutes=3))
    fresh = job()

    result = services.export_jobs_sweep(now=now)

    assert not ExportJob.objects.filter(pk=expired.pk).exists()
    assert set(ExportJob.objects.values_list("pk", flat=True)) == {asked.pk, kept.pk, stuck.pk, lost.pk, fresh.pk}
    stuck.refresh_from_db()
    assert (stuck.status, stuck.error) == ("failed", services.NOT_FINISHED)
    assert result == {"deleted": 1, "given_up": 1, "resent": 1}
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-export-jobs"]
    assert entry["task"] == "metrics.export_jobs.tasks.sweep_export_jobs"
    assert entry["schedule"] == dt.timedelta(minutes=5)


# --- A real worker ----------------------------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_builds_the_job_the_button_asked_for(world, celery_worker, client):
    job_id = ask(client, world.leadership)  # committed: the build is sent to the broker
    deadline = time.monotonic() + 90
    while ExportJob.objects.get(pk=job_id).pending and time.monotonic() < deadline:
        time.sleep(0.2)
    job = ExportJob.objects.get(pk=job_id)
    assert job.status == ExportStatus.DONE, (job.status, job.error, celery_worker.log_path.read_text()[-2000:])
    assert (job.progress_done, job.progress_total) == (2, 2)
    response = client.get(reverse("export-job-download", kwargs={"pk": job_id}))
    synchronous = exports.portfolio_xlsx(selectors.portfolio_rows(user=world.leadership))
    assert sheet_values(response.content) == sheet_values(synchronous)
    assert "Task metrics.export_jobs.tasks.build_export[" in celery_worker.log_path.read_text()
