"""The project list and the client dashboard: filtered, sorted and paginated in the database, the summary over
the whole filtered set, a fixed number of queries and a bounded page whatever the portfolio size (issue 13)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from projects.listing import PAGE_SIZE
from projects.models import Milestone, Project
from tests.metrics.factories import ScoreSnapshotFactory
from tests.projects.factories import MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def many(world, n: int, *, client=None, prefix="MANY"):
    today = timezone.localdate()
    for i in range(n):
        project = ProjectFactory(client=client or world.client_a, manager=world.pm, code=f"{prefix}-{i:03d}")
        MilestoneFactory(project=project, forecast_date=today + dt.timedelta(days=i % 40 - 5), baseline_date=today)
        ScoreSnapshotFactory(project=project, lens="cmo", rag=("red", "amber", "green")[i % 3])
        ScoreSnapshotFactory(project=project, lens="client", rag=("red", "amber", "green")[i % 3])


PAGES = [("project-list", "leadership"), ("project-list", "pm"), ("dashboard", "approver_a")]


@pytest.mark.parametrize(("name", "role"), PAGES)
def test_queries_and_page_size_do_not_grow_with_the_portfolio(world, client, name, role):
    client.force_login(getattr(world, role))
    many(world, 1, prefix="ONE")
    with CaptureQueriesContext(connection) as small:
        first = client.get(reverse(name))
    assert first.status_code == 200
    many(world, PAGE_SIZE + 25)
    with CaptureQueriesContext(connection) as large:
        second = client.get(reverse(name))
    assert second.status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
    html = second.content.decode()
    assert html.count('class="code"') <= PAGE_SIZE
    assert "Page 1 of 2" in html
    assert client.get(reverse(name), {"page": "2"}).status_code == 200


def test_filters_sort_and_the_summary_cover_the_whole_filtered_set(world, client):
    many(world, 60)
    client.force_login(world.leadership)
    response = client.get(reverse("project-list"), {"rag": "red", "sort": "code", "client": world.client_a.pk})
    listing = response.context["listing"]
    red = Project.objects.filter(client=world.client_a, code__startswith="MANY", score_snapshots__rag="red")
    assert listing.summary["total"] == red.distinct().count() == 20
    assert listing.summary["red"] == 20
    assert listing.summary["amber"] == 0
    codes = [p.code for p in listing.projects]
    assert codes == sorted(codes)
    overdue = client.get(reverse("project-list"), {"overdue": "on"}).context["listing"]
    today = timezone.localdate()
    late = Milestone.objects.filter(actual_date__isnull=True, forecast_date__lt=today).values("project").distinct()
    assert overdue.summary["total"] == late.count()
    assert all(p.overdue_count for p in overdue.projects)
    found = client.get(reverse("project-list"), {"q": "many-007"}).context["listing"]
    assert [p.code for p in found.projects] == ["MANY-007"]
    # Clients and PMs are typed (part of the name), not picked from a list of every one of them.
    by_name = client.get(reverse("project-list"), {"client": world.client_a.name[1:5].lower(), "rag": "red"})
    assert by_name.context["listing"].summary["total"] == 20
    assert "<option" not in by_name.content.decode().split('name="client"')[1].split(">")[0]
    by_pm = client.get(reverse("project-list"), {"manager": world.pm.display_name.split()[0]}).context["listing"]
    assert by_pm.summary["total"] == Project.objects.filter(manager=world.pm).count()


@pytest.mark.parametrize(
    "params",
    [
        {"rag": "purple"},
        {"service_type": "nonsense"},
        {"client": "c" * 500},
        {"client": "9" * 40},
        {"manager": "999999"},
        {"sort": "x"},
        {"page": "abc"},
        {"page": "0"},
        {"page": "99999"},
        {"q": "x" * 500},
        {"status": "\x00"},
    ],
)
def test_bad_filter_values_explain_themselves_and_never_fail(world, client, params):
    client.force_login(world.leadership)
    response = client.get(reverse("project-list"), params)
    assert response.status_code == 200
    if "page" not in params:
        assert 'class="errorlist"' in response.content.decode()


def test_a_client_filters_only_its_own_projects_and_sees_no_staff_filters(world, client):
    many(world, 3, client=world.client_b, prefix="OTHER")
    client.force_login(world.approver_a)
    response = client.get(reverse("dashboard"), {"q": "OTHER"})
    html = response.content.decode()
    assert response.context["listing"].summary["total"] == 0
    assert "OTHER-" not in html
    assert 'name="client"' not in html
    assert 'name="manager"' not in html
