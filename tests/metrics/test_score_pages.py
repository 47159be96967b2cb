import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from metrics.scores import services
from metrics.scores.models import ScoringPolicy, TradeoffProposal
from projects.change_requests import services as change_request_services
from projects.milestones import services as milestone_services
from projects.models import Project, Signature
from projects.signatures import services as signature_services
from tests.clients.factories import PASSWORD

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


def submitted_change(world):
    change = change_request_services.change_request_create(
        actor=world.pm,
        project=world.project_a,
        title="Extra run",
        schedule_impact_days=21,
        cost_impact=Decimal("40000.00"),
        scope_impact_percent=Decimal(3),
    )
    return change_request_services.change_request_submit(actor=world.pm, change=change)


def test_change_request_page_shows_the_what_if_before_signing(world, client):
    change = submitted_change(world)
    client.force_login(world.approver_a)
    page = client.get(reverse("change-request-detail", kwargs={"pk": change.pk})).content.decode()
    assert "What this change would do" in page
    assert "Electronic signature" in page
    assert page.index("What this change would do") < page.index("Electronic signature")


def test_project_page_shows_scores_with_reasons(world, client):
    milestone_services.milestone_update(
        actor=world.pm, milestone=world.milestone_a, forecast_date=dt.date(2026, 6, 25), reason="Late resin"
    )
    services.scores_recompute(project_ids=[world.project_a.pk], now=NOW)
    client.force_login(world.viewer_a)
    page = client.get(reverse("project-detail", kwargs={"pk": world.project_a.pk})).content.decode()
    assert "Risk score" in page
    # The client lens: the internal milestone (also late) is neither counted nor averaged in.
    assert "1 milestone late by 176 days" in page
    assert "2 milestones late" not in page
    client.force_login(world.pm)
    staff_page = client.get(reverse("project-detail", kwargs={"pk": world.project_a.pk})).content.decode()
    assert "2 milestones late, 176 days on average" in staff_page
    client.force_login(world.viewer_a)
    scores = client.get(reverse("project-scores", kwargs={"pk": world.project_a.pk})).content.decode()
    assert "Every factor, ranked" in scores
    assert "<svg" in scores  # trend chart
    assert "Actual cost (AC)" not in scores  # internal for clients


def test_client_approver_sets_priorities_and_scores_go_stale(world, client):
    client.force_login(world.approver_a)
    response = client.post(
        reverse("project-scores", kwargs={"pk": world.project_a.pk}),
        {
            "time": "constrain",
            "scope": "accept",
            "quality": "constrain",
            "cost": "optimize",
            "reason": "Launch date is fixed",
        },
    )
    assert response.status_code == 302
    project = Project.objects.get(pk=world.project_a.pk)
    assert project.tradeoff_matrix == {
        "time": "constrain",
        "scope": "accept",
        "quality": "constrain",
        "cost": "optimize",
    }
    assert project.scores_stale


def test_three_constrained_dimensions_are_refused(world):
    with pytest.raises(ValidationError) as error:
        services.tradeoff_set(
            actor=world.approver_a,
            project=world.project_a,
            reason="Everything matters",
            matrix={"time": "constrain", "scope": "constrain", "quality": "constrain", "cost": "accept"},
        )
    assert "non_field_errors" in error.value.message_dict
    assert Project.objects.get(pk=world.project_a.pk).tradeoff_quality == "constrain"
    assert Project.objects.get(pk=world.project_a.pk).tradeoff_time == "optimize"


def test_pm_proposes_and_the_approver_accepts(world):
    matrix = {"time": "accept", "scope": "optimize", "quality": "constrain", "cost": "optimize"}
    with pytest.raises(PermissionDenied):
        services.tradeoff_set(actor=world.pm, project=world.project_a, matrix=matrix, reason="PM cannot set")
    proposal = services.tradeoff_propose(
        actor=world.pm, project=world.project_a, matrix=matrix, reason="Schedule can give way"
    )
    assert world.approver_a.notifications.filter(kind="tradeoff_proposed").exists()
    with pytest.raises(PermissionDenied):
        services.tradeoff_decide(actor=world.viewer_a, proposal=proposal, accept=True)
    services.tradeoff_decide(actor=world.approver_a, proposal=proposal, accept=True)
    assert Project.objects.get(pk=world.project_a.pk).tradeoff_time == "accept"
    assert TradeoffProposal.objects.get(pk=proposal.pk).status == "accepted"


def test_tradeoff_change_is_audited_with_reason(world):
    from pghistory.models import Events

    services.tradeoff_set(
        actor=world.approver_a,
        project=world.project_a,
        reason="Budget is fixed by our board",
        matrix={"time": "optimize", "scope": "accept", "quality": "constrain", "cost": "constrain"},
    )
    event = next(
        e
        for e in Events.objects.references(world.project_a)
        if e.pgh_label == "update" and e.pgh_obj_model == "projects.Project"
    )
    assert event.pgh_diff["tradeoff_cost"] == ["optimize", "constrain"]
    assert event.pgh_context["reason"] == "Budget is fixed by our board"
    assert event.pgh_context["user"] == world.approver_a.pk


def test_leadership_versions_the_policy_through_the_page(world, client):
    client.force_login(world.leadership)
    url = reverse("scoring-policy")
    form = client.get(url).context["form"]
    data = {name: form.fields[name].initial for name in form.fields if name != "note"}
    data |= {"weight_quality": "0.4", "note": "Quality issues cost us a client"}
    assert client.post(url, data).status_code == 302
    assert ScoringPolicy.objects.current().as_policy().weight_quality == Decimal("0.4")
    client.force_login(world.pm)
    assert client.get(url).status_code == 404


def test_repeated_wrong_signing_passwords_lock_signing(world):
    change = submitted_change(world)
    for _ in range(signature_services.SIGNATURE_MAX_FAILURES):
        with pytest.raises(ValidationError):
            change_request_services.change_request_decide(
                actor=world.approver_a, change=change, password="guess", approve=True
            )
    with pytest.raises(ValidationError) as error:
        change_request_services.change_request_decide(
            actor=world.approver_a, change=change, password=PASSWORD, approve=True
        )
    assert "locked" in error.value.message_dict["password"][0]
    assert not Signature.objects.exists()
