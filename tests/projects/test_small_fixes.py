"""Small defects of issue 9 item 7 in projects: risk_create is one transaction; whose move a new issue is."""

import pytest
from django.db import OperationalError, connection, connections

from projects.issues import services as issue_services
from projects.models import Issue, Project, Risk, Visibility
from projects.risks import services as risk_services


@pytest.fixture
def project_row_locked_elsewhere(world):
    """Another session holds the project's row for update (a risk may still point at it: FOR NO KEY UPDATE);
    this session waits at most 200 ms for a lock."""
    Project.objects.filter(pk=world.project_a.pk).update(scores_stale=False)
    other = connections.create_connection("default")
    other.set_autocommit(False)
    with other.cursor() as cursor:
        cursor.execute("SELECT id FROM projects_project WHERE id = %s FOR NO KEY UPDATE", [world.project_a.pk])
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '200ms'")
    try:
        yield world.project_a
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
        other.rollback()
        other.close()


@pytest.mark.django_db(transaction=True)
def test_risk_create_that_fails_after_writing_the_risk_leaves_no_risk(world, project_row_locked_elsewhere):
    # Given: the project row is locked by another session, so marking its scores stale (the last write
    # of risk_create, after the risk row is inserted) times out.
    project = project_row_locked_elsewhere

    # When
    with pytest.raises(OperationalError, match="lock timeout"):
        risk_services.risk_create(
            actor=world.pm, project=project, title="Supplier single source", probability=3, impact=4
        )

    # Then: no half-recorded risk survives (nor its audit event).
    assert not Risk.objects.filter(project=project).exists()
    assert not Risk.pgh_event_model.objects.filter(project_id=project.pk).exists()


@pytest.mark.django_db
def test_risk_create_still_records_a_risk_and_marks_scores_stale(world):
    Project.objects.filter(pk=world.project_a.pk).update(scores_stale=False)

    risk = risk_services.risk_create(
        actor=world.pm, project=world.project_a, title="Supplier single source", probability=3, impact=4
    )

    assert Risk.objects.get(pk=risk.pk).exposure == 12
    assert Project.objects.get(pk=world.project_a.pk).scores_stale


@pytest.mark.django_db
def test_shared_issue_raised_by_the_cmo_waits_on_the_client(world):
    issue = issue_services.issue_raise(
        actor=world.pm, project=world.project_a, title="Send the signed tech package", visibility=Visibility.SHARED
    )

    assert Issue.objects.get(pk=issue.pk).waiting_on == "client"


@pytest.mark.django_db
def test_internal_issue_raised_by_the_cmo_waits_on_the_cmo(world):
    issue = issue_services.issue_raise(
        actor=world.pm, project=world.project_a, title="Chase the resin supplier", visibility=Visibility.INTERNAL
    )

    assert Issue.objects.get(pk=issue.pk).waiting_on == "cmo"


@pytest.mark.django_db
def test_issue_raised_by_the_client_waits_on_the_cmo(world):
    issue = issue_services.issue_raise(actor=world.viewer_a, project=world.project_a, title="Where is the CoA?")

    stored = Issue.objects.get(pk=issue.pk)
    assert (stored.visibility, stored.waiting_on) == (Visibility.SHARED, "cmo")


@pytest.mark.django_db
def test_issue_page_tells_the_client_a_cmo_raised_shared_issue_waits_on_them(world, client):
    issue = issue_services.issue_raise(
        actor=world.pm, project=world.project_a, title="Send the signed tech package", visibility=Visibility.SHARED
    )
    client.force_login(world.viewer_a)

    page = client.get(f"/issues/{issue.pk}/").content.decode()

    assert 'Waiting on</h3><p class="big">You</p>' in page
