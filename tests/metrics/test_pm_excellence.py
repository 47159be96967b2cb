"""PM excellence: certification status, the "accidental project manager" flag, workload, and who sees it."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clients.models import CertificationKind, PMCertification, Role
from metrics.portfolio import pm_excellence
from projects.models import ProjectStatus
from tests.clients.factories import PMCertificationFactory, UserFactory
from tests.conftest import api_as
from tests.metrics.factories import LeanSnapshotFactory, ScoreSnapshotFactory
from tests.projects.factories import ProjectFactory

TODAY = dt.date(2026, 11, 24)


def test_a_pm_without_a_current_certificate_is_an_accidental_pm(world):
    expired = UserFactory(username="expired_pm", role=Role.PROJECT_MANAGER)
    PMCertificationFactory(user=expired, issued=dt.date(2020, 1, 1), expires=dt.date(2026, 1, 1))
    trained = UserFactory(username="trained_pm", role=Role.PROJECT_MANAGER)
    PMCertificationFactory(
        user=trained, kind=CertificationKind.INTERNAL, issued=dt.date(2026, 2, 1), expires=dt.date(2028, 2, 1)
    )
    future = UserFactory(username="future_pm", role=Role.PROJECT_MANAGER)
    PMCertificationFactory(user=future, issued=dt.date(2026, 12, 15))  # not issued yet
    PMCertificationFactory(user=world.pm)  # PMP without expiry
    projects = {
        "expired": ProjectFactory(manager=expired),
        "trained": ProjectFactory(manager=trained),
        "future": ProjectFactory(manager=future),
        "certified": ProjectFactory(manager=world.pm),
        "none": ProjectFactory(manager=world.other_pm),  # no certificate at all
        "unmanaged": ProjectFactory(manager=None),
    }
    flagged = pm_excellence.accidental_pm_project_ids([p.pk for p in projects.values()], today=TODAY)
    assert flagged == {projects["expired"].pk, projects["future"].pk, projects["none"].pk}
    assert pm_excellence.project_has_accidental_pm(projects["trained"], today=TODAY) is False


def test_a_certificate_is_current_until_its_expiry_day_inclusive():
    user = UserFactory.build()
    cert = PMCertification(user=user, kind="pmp", issued=dt.date(2024, 1, 1), expires=TODAY)
    assert pm_excellence.is_current(cert, TODAY)
    assert not pm_excellence.is_current(cert, TODAY + dt.timedelta(days=1))


def test_workload_counts_live_and_red_projects_and_expiring_certificates(world):
    PMCertificationFactory(user=world.pm, expires=TODAY + dt.timedelta(days=30))  # expiring soon
    red = ProjectFactory(manager=world.pm, code="RED-01")
    ScoreSnapshotFactory(project=red, rag="amber", as_of=TODAY)
    ScoreSnapshotFactory(project=red, rag="red", as_of=TODAY)  # the latest one counts
    ScoreSnapshotFactory(project=world.project_a, rag="green", as_of=TODAY)
    ProjectFactory(manager=world.pm, status=ProjectStatus.COMPLETED, code="DONE-01")  # not live
    ProjectFactory(manager=world.pm, status=ProjectStatus.ON_HOLD, code="HOLD-01")

    rows = {r.manager.username: r for r in pm_excellence.pm_workload(user=world.leadership, today=TODAY)}
    pm = rows["pm"]
    assert pm.active_projects == 3  # project_a, project_b, RED-01
    assert [p["code"] for p in pm.projects] == ["AAA-OPEN-01", "BBB-SECRET-01", "HOLD-01", "RED-01"]
    assert pm.red_projects == 1
    assert [c.kind for c in pm.expiring] == ["pmp"]
    assert not pm.accidental
    assert rows["pm2"].accidental is False  # no live projects: nothing at stake
    ProjectFactory(manager=world.other_pm)
    rows = {r.manager.username: r for r in pm_excellence.pm_workload(user=world.leadership, today=TODAY)}
    assert rows["pm2"].accidental is True
    assert next(iter(pm_excellence.pm_workload(user=world.leadership, today=TODAY))).manager == world.other_pm
    expiring = list(pm_excellence.expiring_certifications(user=world.leadership, today=TODAY))
    assert [c.user for c in expiring] == [world.pm]


def test_only_leadership_and_admins_see_pm_workload(world, client):
    for user in (world.pm, world.viewer_a, world.approver_b):
        with pytest.raises(PermissionDenied):
            pm_excellence.pm_workload(user=user)
        client.force_login(user)
        assert client.get(reverse("pm-workload")).status_code == 404
    for user in (world.leadership, world.admin):
        client.force_login(user)
        assert client.get(reverse("pm-workload")).status_code == 200


def test_workload_page_shows_the_accidental_pm_flag(world, client):
    client.force_login(world.leadership)
    body = client.get(reverse("pm-workload")).content.decode()
    assert "accidental PM" in body
    PMCertificationFactory(user=world.pm)
    body = client.get(reverse("pm-workload")).content.decode()
    assert "PMP" in body


def test_lean_page_flags_projects_with_an_accidental_pm(world, client):
    LeanSnapshotFactory(project=world.project_a, milestones_completed=1)
    client.force_login(world.leadership)
    assert "accidental PM" in client.get(reverse("lean-portfolio"), {"by": "project"}).content.decode()
    PMCertificationFactory(user=world.pm)
    assert "accidental PM" not in client.get(reverse("lean-portfolio"), {"by": "project"}).content.decode()


def test_leadership_records_certificates_from_the_page(world, client):
    client.force_login(world.leadership)
    response = client.post(
        reverse("pm-workload"), {"user": world.other_pm.pk, "kind": "prince2", "issued": "2026-01-10", "expires": ""}
    )
    assert response.status_code == 302
    assert PMCertification.objects.get().user == world.other_pm
    bad = client.post(
        reverse("pm-workload"),
        {"user": world.other_pm.pk, "kind": "pmp", "issued": "2026-01-10", "expires": "2025-01-01"},
    )
    assert bad.status_code == 200
    assert PMCertification.objects.count() == 1


def test_certification_api(world):
    url = reverse("api:pm-certification-list")
    created = api_as(world.leadership).post(
        url, {"user": world.pm.pk, "kind": "capm", "issued": "2025-05-01", "expires": "2028-05-01"}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["current"] is True
    PMCertificationFactory(user=world.other_pm)
    assert api_as(world.pm).post(url, {"user": world.pm.pk, "kind": "pmp", "issued": "2025-01-01"}).status_code == 403
    own = api_as(world.pm).get(url).json()
    assert [c["user"] for c in own["results"]] == [world.pm.pk]  # a PM sees their own
    assert api_as(world.leadership).get(url).json()["count"] == 2
    assert api_as(world.viewer_a).get(url).status_code == 403
    bad = api_as(world.admin).post(
        url, {"user": world.pm.pk, "kind": "pmp", "issued": "2025-01-01", "expires": "2024-01-01"}, format="json"
    )
    assert bad.status_code == 400
    not_a_pm = api_as(world.admin).post(url, {"user": world.viewer_a.pk, "kind": "pmp", "issued": "2025-01-01"})
    assert not_a_pm.status_code == 400
    assert PMCertification.objects.count() == 2


@pytest.mark.parametrize("url_name", ["pm-workload", "api:pm-certification-list"])
def test_pm_pages_use_a_fixed_number_of_queries(world, client, django_assert_max_num_queries, url_name):
    def add(n):
        for _ in range(n):
            pm = UserFactory(role=Role.PROJECT_MANAGER)
            PMCertificationFactory(user=pm, expires=timezone.localdate() + dt.timedelta(days=20))
            project = ProjectFactory(manager=pm)
            ScoreSnapshotFactory(project=project, rag="red", as_of=TODAY)

    def get():
        if url_name.startswith("api:"):
            return api_as(world.leadership).get(reverse(url_name))
        client.force_login(world.leadership)
        return client.get(reverse(url_name))

    add(1)
    with CaptureQueriesContext(connection) as ctx:
        assert get().status_code == 200
    add(30)
    with django_assert_max_num_queries(len(ctx.captured_queries)):
        assert get().status_code == 200
