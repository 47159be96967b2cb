"""A proposed re-baseline is announced to the client's approvers: bell, e-mail and the dashboard."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.models import Role
from projects import services as project_services
from projects.baselines import services as baseline_services
from projects.milestones import services as milestone_services
from projects.models import Baseline, Notification
from projects.notifications.services import send_emails
from tests.clients.factories import PASSWORD, ClientUserFactory
from tests.projects.factories import BaselineFactory, MilestoneFactory, ProjectFactory


@pytest.fixture
def started(world):
    project_services.project_start(actor=world.pm, project=world.project_a)
    return world


@pytest.fixture
def second_approver_a(world):
    return ClientUserFactory(username="approver_a2", client=world.client_a, role=Role.CLIENT_APPROVER)


@pytest.fixture
def inactive_approver_a(world):
    return ClientUserFactory(
        username="approver_a_gone", client=world.client_a, role=Role.CLIENT_APPROVER, is_active=False
    )


def propose(world) -> Baseline:
    milestone_services.milestone_update(
        actor=world.pm, milestone=world.milestone_a, forecast_date=dt.date(2026, 7, 1), reason="Supplier delay"
    )
    return baseline_services.baseline_propose(actor=world.pm, project=world.project_a, reason="Supplier delay")


def recipients() -> set[str]:
    return set(Notification.objects.filter(kind="baseline_proposed").values_list("recipient__username", flat=True))


def test_a_proposed_rebaseline_notifies_and_emails_only_the_clients_active_approvers(
    started, second_approver_a, inactive_approver_a
):
    baseline = propose(started)

    assert recipients() == {"approver_a", "approver_a2"}  # not viewers, not client B, not the inactive one
    assert send_emails() == 2
    assert {address for m in mail.outbox for address in m.to} == {
        started.approver_a.email,
        second_approver_a.email,
    }
    sign_url = f"/baselines/{baseline.pk}/sign/"
    for message in mail.outbox:
        assert "AAA-OPEN-01" in message.subject
        assert "awaits your signature" in message.body
        assert sign_url in message.body
    assert send_emails() == 0  # sent once


def test_the_notice_says_nothing_internal(started):
    propose(started)
    send_emails()
    (notification,) = Notification.objects.filter(kind="baseline_proposed", recipient=started.approver_a)
    everything = [notification.text, *(m.subject + m.body for m in mail.outbox)]
    for text in everything:
        assert started.internal_milestone_a.name not in text
        assert "Aurora shared milestone" not in text  # no milestone names at all, hence no internal ones
        assert "milestones" not in text  # no counts either (they would include the internal ones)


def test_the_approvers_bell_links_to_the_sign_page(started, client):
    baseline = propose(started)
    client.force_login(started.approver_a)
    assert 'class="bell-count">1<' in client.get(reverse("dashboard")).content.decode()
    page = client.get(reverse("notifications")).content.decode()
    assert f'href="/baselines/{baseline.pk}/sign/"' in page
    assert client.get(f"/baselines/{baseline.pk}/sign/").status_code == 200

    client.force_login(started.viewer_a)
    assert "bell-count" not in client.get(reverse("dashboard")).content.decode()
    client.force_login(started.approver_b)
    assert "re-baseline" not in client.get(reverse("notifications")).content.decode().lower()


def test_a_refused_proposal_announces_nothing(started):
    with pytest.raises(ValidationError):
        baseline_services.baseline_propose(actor=started.pm, project=started.project_a, reason="  ")
    assert recipients() == set()

    propose(started)
    with pytest.raises(ValidationError):
        baseline_services.baseline_propose(actor=started.pm, project=started.project_a, reason="Again")
    assert recipients() == {"approver_a"}
    assert Notification.objects.filter(kind="baseline_proposed").count() == 1


def test_the_dashboard_asks_the_approver_to_sign_and_shows_the_viewer_without_a_sign_button(started, client):
    baseline = propose(started)
    sign_url = reverse("baseline-sign", kwargs={"pk": baseline.pk})

    client.force_login(started.approver_a)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Awaiting your decision" in page
    assert f"AAA-OPEN-01 · Re-baseline {baseline.number}" in page
    assert f'href="{sign_url}"' in page
    assert "Review and sign" in page
    assert "BBB-SECRET-01" not in page  # client B's proposed baseline is B's business

    client.force_login(started.viewer_a)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Awaiting your approver's decision" in page
    assert f"AAA-OPEN-01 · Re-baseline {baseline.number}" in page
    assert sign_url not in page
    assert "Review and sign" not in page
    assert f'href="{reverse("project-baselines", kwargs={"pk": started.project_a.pk})}"' in page

    client.force_login(started.approver_b)
    page = client.get(reverse("dashboard")).content.decode()
    assert "AAA-OPEN-01" not in page
    assert f"BBB-SECRET-01 · Re-baseline {started.baseline_b.number}" in page


def test_a_signed_rebaseline_leaves_the_dashboard(started, client):
    baseline = propose(started)
    baseline_services.baseline_decide(actor=started.approver_a, baseline=baseline, password=PASSWORD, approve=True)
    client.force_login(started.approver_a)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Re-baseline" not in page
    assert 'id="awaiting-decision"' not in page


def test_the_dashboard_query_count_does_not_grow_with_rebaselines(started, client, django_assert_max_num_queries):
    propose(started)
    client.force_login(started.approver_a)
    url = reverse("dashboard")
    client.get(url)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for _ in range(20):
        project = ProjectFactory(client=started.client_a, manager=started.pm)
        MilestoneFactory(project=project)
        BaselineFactory(project=project, created_by=started.pm)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(url).content.decode()
    assert "21 re-baselines to sign" in page
