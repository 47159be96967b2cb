import pytest
from django.urls import reverse

from projects.models import Project
from tests.conftest import api_as
from tests.projects.factories import ProjectFactory


def test_pm_creates_a_project_and_becomes_its_manager(world):
    response = api_as(world.pm).post(
        reverse("api:project-list"),
        {
            "client": world.client_a.pk,
            "code": "AAA-NEW-02",
            "name": "New",
            "service_type": "analytical",
            "start_date": "2026-02-01",
            "target_date": "2026-09-01",
            "budget": "250000.00",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Project.objects.get(code="AAA-NEW-02").manager == world.pm


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"target_date": "2026-02-01"}, "target_date"), ({"budget": "-5"}, "budget"), ({"client": 999999}, "client")],
)
def test_bad_project_is_refused_with_a_field_map(world, changes, field):
    payload = {
        "client": world.client_a.pk,
        "code": "AAA-BAD-01",
        "name": "Bad",
        "service_type": "analytical",
        "start_date": "2026-09-01",
        "target_date": "2026-12-01",
        "budget": "100.00",
    } | changes
    response = api_as(world.pm).post(reverse("api:project-list"), payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Project.objects.filter(code="AAA-BAD-01").exists()


def test_client_users_and_leadership_cannot_write_projects(world):
    for user in (world.approver_a, world.leadership):
        response = api_as(user).patch(
            reverse("api:project-detail", kwargs={"pk": world.project_a.pk}), {"name": "Hijacked"}, format="json"
        )
        assert response.status_code in (403, 404)
    world.project_a.refresh_from_db()
    assert world.project_a.name != "Hijacked"


def test_pm_cannot_edit_a_project_managed_by_someone_else(world):
    response = api_as(world.other_pm).patch(
        reverse("api:project-detail", kwargs={"pk": world.project_a.pk}), {"name": "Not mine"}, format="json"
    )
    assert response.status_code == 403


@pytest.mark.parametrize("url_name", ["api:project-list", "project-list"])
def test_project_lists_use_a_fixed_number_of_queries(world, client, django_assert_max_num_queries, url_name):
    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            if url_name.startswith("api:"):
                assert api_as(world.leadership).get(reverse(url_name)).status_code == 200
            else:
                client.force_login(world.leadership)
                assert client.get(reverse(url_name)).status_code == 200
        return len(ctx.captured_queries)

    with_few = count_queries()
    ProjectFactory.create_batch(48, client=world.client_a, manager=world.pm)
    with django_assert_max_num_queries(with_few):
        count_queries()


def test_pm_creates_a_project_from_a_template_on_the_page(world, client):
    from tests.projects.factories import MilestoneTemplateFactory

    MilestoneTemplateFactory(template=world.template, name="Kick-off", offset_days=0, duration_days=10)
    MilestoneTemplateFactory(template=world.template, name="Report", offset_days=10, duration_days=20)
    client.force_login(world.pm)
    response = client.post(
        reverse("project-create"),
        {
            "client": world.client_a.pk,
            "template": world.template.pk,
            "code": "AAA-NEW-07",
            "name": "Page-made",
            "start_date": "2026-12-01",
            "budget": "100000",
            "currency": "eur",
        },
    )
    assert response.status_code == 302
    project = Project.objects.get(code="AAA-NEW-07")
    assert (project.manager, project.currency, str(project.target_date)) == (world.pm, "EUR", "2026-12-31")
    assert list(project.milestones.values_list("name", flat=True)) == ["Kick-off", "Report"]


def test_project_page_form_errors_write_nothing_and_clients_cannot_create(world, client):
    client.force_login(world.pm)
    response = client.post(reverse("project-create"), {"code": world.project_a.code, "name": ""})
    assert response.status_code == 400
    assert Project.objects.count() == 2
    client.force_login(world.approver_a)
    assert client.get(reverse("project-create")).status_code == 404
