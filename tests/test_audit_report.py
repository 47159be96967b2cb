"""The system audit trail report (21 CFR 11.10(b)): page, CSV and PDF for leadership and administrators."""

import csv
import datetime as dt
import io
import re
import zlib
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.models import SecurityEvent, SecurityEventKind
from cmo_portal.audit_chain import audit_seal, chain_head
from core.exports import safe_cell
from projects import services as project_services
from projects.baselines import services as baseline_services
from projects.milestones import services as milestone_services
from projects.models import Milestone
from tests.clients.factories import PASSWORD
from tests.metrics.export_job_helpers import export_through_job
from tests.projects.factories import MilestoneFactory

REPORT_URLS = ("audit-report", "audit-report-csv", "audit-report-pdf")
FORMULA = '=HYPERLINK("http://x")'


def record_table(html: str) -> str:
    """The record-changes table of the page (the filter form lists every project and user too)."""
    match = re.search(r'<table[^>]*id="record-events".*?</table>', html, re.S)
    return match.group(0) if match else ""


def security_table(html: str) -> str:
    match = re.search(r'<table[^>]*id="security-events".*?</table>', html, re.S)
    return match.group(0) if match else ""


def page(client, user, **params) -> str:
    client.force_login(user)
    response = client.get(reverse("audit-report"), params)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def move(world, milestone, *, actor=None, reason: str, days: int = 7):
    return milestone_services.milestone_update(
        actor=actor or world.pm,
        milestone=milestone,
        forecast_date=milestone.forecast_date + dt.timedelta(days=days),
        reason=reason,
    )


def pdf_text(content: bytes) -> str:
    """The PDF's bytes with its compressed streams inflated (enough to find plain ASCII metadata)."""
    parts = [content]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            parts.append(zlib.decompress(stream))
        except zlib.error:
            continue
    return b"\n".join(parts).decode("latin-1")


# --- Who may see it ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["leadership", "admin"])
def test_leadership_and_admins_open_the_report_from_the_navigation(world, client, role):
    move(world, world.milestone_a, reason="Resin delivery slipped")
    html = page(client, getattr(world, role))
    assert f'href="{reverse("audit-report")}"' in html  # the top navigation link
    assert "Resin delivery slipped" in record_table(html)
    count, head = chain_head()
    assert head in html


@pytest.mark.parametrize("role", ["pm", "viewer_a", "approver_a"])
@pytest.mark.parametrize("name", REPORT_URLS)
def test_project_managers_and_client_users_get_404(world, client, role, name):
    move(world, world.milestone_a, reason="Resin delivery slipped")
    client.force_login(getattr(world, role))
    response = client.get(reverse(name))
    assert response.status_code == 404
    assert b"Resin delivery slipped" not in response.content
    assert not SecurityEvent.objects.filter(kind=SecurityEventKind.EXPORT).exists()


def test_project_managers_have_no_link_to_the_report(world, client):
    client.force_login(world.pm)
    html = client.get(reverse("project-list")).content.decode()
    assert f'href="{reverse("audit-report")}"' not in html


# --- Filters ------------------------------------------------------------------------------------


def test_filter_by_date_keeps_the_days_asked_for(world, client):
    move(world, world.milestone_a, reason="Resin delivery slipped")
    today = timezone.now().date()
    yesterday, tomorrow = today - dt.timedelta(days=1), today + dt.timedelta(days=1)
    assert "Resin delivery slipped" in record_table(page(client, world.leadership, date_from=today, date_to=today))
    before = page(client, world.leadership, date_to=yesterday)
    assert "Resin delivery slipped" not in before
    assert "No record changes match these filters." in before
    assert "Resin delivery slipped" not in page(client, world.leadership, date_from=tomorrow)


def test_filter_by_date_applies_to_security_events(world, client):
    SecurityEvent.objects.create(
        kind=SecurityEventKind.LOGIN_FAILED, username="intruder-old", at=dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
    )
    SecurityEvent.objects.create(
        kind=SecurityEventKind.LOGIN_FAILED, username="intruder-new", at=dt.datetime(2026, 2, 5, 9, tzinfo=dt.UTC)
    )
    html = security_table(page(client, world.leadership, date_from="2026-02-01", date_to="2026-02-28"))
    assert "intruder-new" in html
    assert "intruder-old" not in html
    assert "2026-02-05 09:00:00" in html


def test_filter_by_user_shows_only_their_changes(world, client):
    move(world, world.milestone_a, reason="Changed by the project manager")
    move(world, world.milestone_b, actor=world.admin, reason="Changed by the administrator")
    html = record_table(page(client, world.leadership, actor=world.pm.pk))
    assert "Changed by the project manager" in html
    assert "Changed by the administrator" not in html
    assert f"{world.pm.display_name} ({world.pm.username})" in html


def test_filter_by_record_type_shows_only_that_model(world, client):
    move(world, world.milestone_a, reason="Resin delivery slipped")
    milestones = record_table(page(client, world.leadership, record_type="projects.Milestone"))
    assert "Resin delivery slipped" in milestones
    assert "Aurora shared milestone" in milestones
    assert world.project_a.code not in milestones  # the project's own insert event is another record type
    projects = record_table(page(client, world.leadership, record_type="projects.Project"))
    assert world.project_a.code in projects
    assert "Resin delivery slipped" not in projects


def test_filter_by_project_shows_its_records_only(world, client):
    move(world, world.milestone_a, reason="Aurora change")
    move(world, world.milestone_b, reason="Borealis change")
    html = record_table(page(client, world.leadership, project=world.project_b.pk))
    assert "Borealis change" in html
    assert world.checklist_b.text in html  # hangs from the project through its milestone
    assert "Aurora change" not in html


def test_unknown_record_type_and_reversed_dates_are_refused_with_a_message(world, client):
    client.force_login(world.leadership)
    response = client.get(reverse("audit-report"), {"record_type": "auth.Permission"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    for name in ("audit-report", "audit-report-csv", "audit-report-pdf"):
        send = client.post if name == "audit-report-pdf" else client.get  # the PDF is asked for by a POST (a job)
        response = send(reverse(name), {"date_from": "2026-03-02", "date_to": "2026-03-01"})
        assert response.status_code == 400
        assert "The start date is after the end date." in response.content.decode()
    assert not SecurityEvent.objects.filter(kind=SecurityEventKind.EXPORT).exists()


def test_filter_dates_render_iso(world, client):
    html = page(client, world.leadership, date_from="2026-03-02", date_to="2026-03-31")
    assert 'type="date" name="date_from" value="2026-03-02"' in html
    assert 'type="date" name="date_to" value="2026-03-31"' in html


# --- Pages and queries ----------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 50])
def test_page_queries_do_not_grow_with_events(world, client, django_assert_max_num_queries, n):
    for i in range(n):
        MilestoneFactory(project=world.project_a, name=f"Extra milestone {i}", sequence=10 + i)
        SecurityEvent.objects.create(kind=SecurityEventKind.LOGIN, user=world.pm, username=world.pm.username)
    client.force_login(world.leadership)
    client.get(reverse("audit-report"))  # session and caches warm
    with django_assert_max_num_queries(15):
        response = client.get(reverse("audit-report"), {"project": world.project_a.pk})
    assert response.status_code == 200
    assert f"Extra milestone {n - 1}" in record_table(response.content.decode())


def test_page_is_paginated_newest_first_fifty_a_page(world, client):
    for i in range(60):
        MilestoneFactory(project=world.project_a, name=f"Extra milestone {i:02d}", sequence=10 + i)
    first = record_table(page(client, world.leadership, record_type="projects.Milestone"))
    second = record_table(page(client, world.leadership, record_type="projects.Milestone", page=2))
    assert first.count("<tr>") - 1 == 50  # minus the header row
    assert "Extra milestone 59" in first
    assert "Extra milestone 00" in second
    assert "Extra milestone 59" not in second


# --- Exports ----------------------------------------------------------------------------------


def test_csv_neutralises_formulas_and_records_the_export(world, client):
    move(world, world.milestone_a, reason=FORMULA)
    client.force_login(world.leadership)
    response = client.get(reverse("audit-report-csv"), {"record_type": "projects.Milestone"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    reasons = {row["reason"] for row in rows}
    assert "'" + FORMULA in reasons
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())
    export = SecurityEvent.objects.get(kind=SecurityEventKind.EXPORT)
    assert export.user == world.leadership
    assert export.detail["export"] == "system audit trail (CSV)"
    assert export.detail["filters"] == {"record_type": "projects.Milestone"}
    assert "Export downloaded" in security_table(page(client, world.leadership))


def test_csv_carries_the_security_events(world, client):
    SecurityEvent.objects.create(kind=SecurityEventKind.LOGIN_FAILED, username="=cmd|' /C calc'!A0")
    client.force_login(world.admin)
    rows = list(csv.DictReader(io.StringIO(client.get(reverse("audit-report-csv")).content.decode())))
    failed = [row for row in rows if row["action"] == SecurityEventKind.LOGIN_FAILED]
    assert [row["actor"] for row in failed] == ["'=cmd|' /C calc'!A0"]


def test_project_audit_csv_neutralises_formulas_too(world, client):
    move(world, world.milestone_a, reason=FORMULA)
    client.force_login(world.leadership)
    body = client.get(reverse("project-audit-csv", kwargs={"pk": world.project_a.pk})).content.decode()
    assert {row["reason"] for row in csv.DictReader(io.StringIO(body))} >= {"'" + FORMULA}


def test_pdf_renders_with_the_chain_head_and_is_recorded(world, client):
    move(world, world.milestone_a, reason="Resin delivery slipped")
    audit_seal()
    count, head = chain_head()
    assert count > 0
    client.force_login(world.leadership)
    response = export_through_job(client, reverse("audit-report-pdf"), {"project": world.project_a.pk})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert head in pdf_text(response.content)
    export = SecurityEvent.objects.get(kind=SecurityEventKind.EXPORT)
    assert export.detail["export"] == "system audit trail (PDF)"
    assert export.detail["filters"] == {"project": world.project_a.code}


def test_pdf_notes_when_it_is_cut(world, client, monkeypatch):
    from cmo_portal import audit_report

    monkeypatch.setattr(audit_report, "PDF_LIMIT", 3)
    captured = {}
    real = audit_report.audit_report_pdf

    def spy(**kwargs):
        captured.update(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(audit_report, "audit_report_pdf", spy)
    client.force_login(world.leadership)
    response = export_through_job(client, reverse("audit-report-pdf"))
    assert response.content.startswith(b"%PDF")
    assert len(captured["rows"]) == 3
    assert captured["truncated"]["events"] is True


# --- E-signatures -------------------------------------------------------------------------------


def test_signatures_are_manifested_next_to_the_signed_record(world, client):
    planned = timezone.localdate() + dt.timedelta(days=60)
    Milestone.objects.filter(project=world.project_a).update(baseline_date=planned, forecast_date=planned)
    project_services.project_start(actor=world.pm, project=world.project_a)
    milestone_services.milestone_update(
        actor=world.pm, milestone=world.milestone_a, forecast_date=planned + dt.timedelta(days=30), reason="Scope"
    )
    baseline = baseline_services.baseline_propose(actor=world.pm, project=world.project_a, reason="Scope change")
    signature = baseline_services.baseline_decide(
        actor=world.approver_a, baseline=baseline, password=PASSWORD, approve=True
    )
    html = record_table(page(client, world.leadership, record_type="projects.Baseline"))
    manifest = (
        f"by {world.approver_a.display_name} · {signature.signed_at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC"
        " · meaning: Approval"
    )
    assert manifest in html
    assert html.count(manifest) == 1  # once per record and page, on its newest event


# --- The cell rule -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("plain text", "plain text"),
        ("", ""),
        (None, ""),
        (-5, -5),
        (Decimal("-1.5"), Decimal("-1.5")),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected
