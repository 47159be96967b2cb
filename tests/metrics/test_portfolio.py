import csv
import datetime as dt
import io

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from metrics.scores import services
from projects.milestones import services as milestone_services
from tests.conftest import api_as
from tests.metrics.export_job_helpers import export_through_job, portfolio_export_url
from tests.projects.factories import MilestoneFactory, ProjectFactory

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


def scored(world):
    """Project B slips badly; project A's milestones are done on time: B must rank first."""
    for milestone in (world.milestone_a, world.internal_milestone_a):
        milestone_services.milestone_update(
            actor=world.pm, milestone=milestone, actual_date=dt.date(2026, 6, 1), today=dt.date(2026, 11, 24)
        )
    milestone_services.milestone_update(
        actor=world.pm, milestone=world.milestone_b, forecast_date=dt.date(2026, 12, 1), reason="Slipped"
    )
    services.scores_recompute(now=NOW)


def test_leadership_sees_every_project_ranked_by_risk(world, client):
    scored(world)
    client.force_login(world.leadership)
    response = client.get(reverse("portfolio"))
    rows = response.context["rows"]
    assert [r.code for r in rows][:1] == [world.project_b.code]  # the slipped one is riskiest
    assert rows[0].risk_score >= rows[-1].risk_score
    assert "<svg" in response.content.decode()


def test_pm_sees_only_own_projects_and_clients_get_404(world, client):
    scored(world)
    ProjectFactory(manager=world.other_pm, code="OTHER-PM-1")
    client.force_login(world.other_pm)
    assert [r.code for r in client.get(reverse("portfolio")).context["rows"]] == ["OTHER-PM-1"]
    client.force_login(world.approver_a)
    assert client.get(reverse("portfolio")).status_code == 404
    assert api_as(world.approver_a).get(reverse("api:portfolio-summary")).status_code == 404


def test_exports_carry_the_same_ranking(world, client):
    scored(world)
    client.force_login(world.leadership)
    rows = list(csv.DictReader(io.StringIO(client.get(reverse("portfolio") + "?format=csv").getvalue().decode())))
    assert rows[0]["Project"] == world.project_b.code
    assert rows[0]["RAG"] in ("green", "amber", "red")
    xlsx = export_through_job(client, portfolio_export_url("xlsx"))  # an export job (tests/metrics/test_export_jobs.py)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["A2"].value == world.project_b.code
    assert sheet["A1"].value == "Project"


def test_api_summary_counts(world):
    scored(world)
    data = api_as(world.leadership).get(reverse("api:portfolio-summary")).json()
    assert sum(data["counts"].values()) == len(data["projects"]) == 2


def test_portfolio_query_count_is_fixed(world, client, django_assert_max_num_queries):
    client.force_login(world.leadership)
    scored(world)
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("portfolio"))
    for i in range(40):
        p = ProjectFactory(manager=world.pm, code=f"MANY-{i}")
        MilestoneFactory(project=p, baseline_date=dt.date(2026, 3, 1), forecast_date=dt.date(2026, 4, 1))
    services.scores_recompute(now=NOW)
    with django_assert_max_num_queries(len(ctx.captured_queries)):
        client.get(reverse("portfolio"))


def test_pdf_report_renders(world, client):
    scored(world)
    client.force_login(world.leadership)
    response = export_through_job(client, portfolio_export_url("pdf"))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert len(response.content) > 5000  # a chart and a table, not an empty page


def test_the_portfolio_page_is_paginated_counts_the_whole_set_and_streams_its_csv(world, client):
    """Issue 13: a page of 50 rows whatever the portfolio size; counts in SQL over every open project; the CSV
    holds every row, streamed."""
    from metrics.portfolio.views import PAGE_SIZE

    for i in range(PAGE_SIZE + 7):
        ProjectFactory(manager=world.pm, code=f"PAGE-{i:03d}")
    client.force_login(world.leadership)
    first = client.get(reverse("portfolio"))
    html = first.content.decode()
    total = first.context["counts"]["total"]
    assert total == sum(first.context["counts"][k] for k in ("red", "amber", "green", "none"))
    assert total >= PAGE_SIZE + 7
    assert len(first.context["rows"]) == PAGE_SIZE
    assert "Page 1 of 2" in html
    second = client.get(reverse("portfolio"), {"page": "2"})
    assert len(second.context["rows"]) == total - PAGE_SIZE
    assert not {r.code for r in first.context["rows"]} & {r.code for r in second.context["rows"]}
    csv_response = client.get(reverse("portfolio") + "?format=csv")
    assert csv_response.streaming
    lines = b"".join(csv_response.streaming_content).decode().strip().splitlines()
    assert len(lines) == total + 1


def test_the_portfolio_api_is_paginated_with_counts_of_every_project(world):
    from metrics.portfolio.views import PAGE_SIZE

    for i in range(PAGE_SIZE + 3):
        ProjectFactory(manager=world.pm, code=f"API-{i:03d}")
    api = api_as(world.leadership)
    first = api.get(reverse("api:portfolio-summary")).json()
    assert len(first["projects"]) == PAGE_SIZE
    assert first["count"] == sum(first["counts"].values()) >= PAGE_SIZE + 3
    assert first["next"]
    assert first["previous"] is None
    second = api.get(first["next"]).json()
    assert len(second["projects"]) == first["count"] - PAGE_SIZE
    assert api.get(reverse("api:portfolio-summary"), {"page": "abc"}).status_code == 400


def test_portfolio_api_query_count_is_fixed(world):
    api = api_as(world.leadership)
    scored(world)
    with CaptureQueriesContext(connection) as few:
        assert api.get(reverse("api:portfolio-summary")).status_code == 200
    for i in range(40):
        ProjectFactory(manager=world.pm, code=f"QAPI-{i}")
    services.scores_recompute(now=NOW)
    with CaptureQueriesContext(connection) as many:
        assert api.get(reverse("api:portfolio-summary")).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
