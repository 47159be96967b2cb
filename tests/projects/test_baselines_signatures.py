import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from projects import services
from projects.models import Baseline, BaselineStatus, Milestone, Signature
from tests.clients.factories import PASSWORD
from tests.conftest import api_as


@pytest.fixture
def started(world):
    services.project_start(actor=world.pm, project=world.project_a)
    return world


def test_starting_records_the_first_baseline(started):
    baseline = Baseline.objects.get(project=started.project_a)
    assert (baseline.number, baseline.status) == (1, BaselineStatus.APPROVED)
    assert {i.milestone_name: i.date for i in baseline.items.all()} == {
        "Aurora shared milestone": dt.date(2026, 6, 1),
        "Aurora internal costing review": dt.date(2026, 6, 1),
    }


def test_rebaseline_needs_a_reason(started):
    with pytest.raises(ValidationError):
        services.baseline_propose(actor=started.pm, project=started.project_a, reason="  ")


def propose(world) -> Baseline:
    services.milestone_update(
        actor=world.pm, milestone=world.milestone_a, forecast_date=dt.date(2026, 7, 1), reason="Scope grew"
    )
    return services.baseline_propose(actor=world.pm, project=world.project_a, reason="Approved scope change")


def test_wrong_password_signs_nothing_and_changes_nothing(started):
    baseline = propose(started)
    with pytest.raises(ValidationError) as error:
        services.baseline_decide(actor=started.approver_a, baseline=baseline, password="wrong", approve=True)
    assert "password" in error.value.message_dict
    baseline.refresh_from_db()
    assert baseline.status == BaselineStatus.PROPOSED
    assert not Signature.objects.exists()
    assert Milestone.objects.get(pk=started.milestone_a.pk).baseline_date == dt.date(2026, 6, 1)


def test_approval_signs_applies_dates_and_detects_later_change(started):
    baseline = propose(started)
    signature = services.baseline_decide(actor=started.approver_a, baseline=baseline, password=PASSWORD, approve=True)
    assert signature.meaning == "approval"
    assert signature.printed_name == started.approver_a.display_name
    assert len(signature.content_hash) == 64
    assert signature.signed_at.utcoffset() == dt.timedelta(0)
    assert Milestone.objects.get(pk=started.milestone_a.pk).baseline_date == dt.date(2026, 7, 1)
    baseline.refresh_from_db()
    assert services.signature_is_current(signature, baseline)

    Baseline.objects.filter(pk=baseline.pk).update(reason="Edited after signing")
    baseline.refresh_from_db()
    assert not services.signature_is_current(signature, baseline)


def test_only_the_clients_approver_signs(started):
    baseline = propose(started)
    for user in (started.viewer_a, started.approver_b, started.pm, started.admin):
        with pytest.raises(PermissionDenied):
            services.baseline_decide(actor=user, baseline=baseline, password=PASSWORD, approve=True)


def test_deciding_twice_is_refused(started):
    baseline = propose(started)
    services.baseline_decide(actor=started.approver_a, baseline=baseline, password=PASSWORD, approve=False)
    with pytest.raises(ValidationError):
        services.baseline_decide(actor=started.approver_a, baseline=baseline, password=PASSWORD, approve=True)
    assert Signature.objects.count() == 1


def test_api_rebaseline_and_approve(started):
    response = api_as(started.pm).post(
        reverse("api:baseline-rebaseline"), {"project": started.project_a.pk, "reason": "Client request"}, format="json"
    )
    assert response.status_code == 201, response.content
    url = reverse("api:baseline-approve", kwargs={"pk": response.json()["id"]})
    bad = api_as(started.approver_a).post(url, {"password": "nope"}, format="json")
    assert bad.status_code == 400
    assert "password" in bad.json()
    good = api_as(started.approver_a).post(url, {"password": PASSWORD}, format="json")
    assert good.status_code == 200
    assert good.json()["meaning"] == "approval"


def test_baseline_comparison_shows_slip(started, client):
    services.milestone_update(
        actor=started.pm, milestone=started.milestone_a, forecast_date=dt.date(2026, 6, 11), reason="Late"
    )
    client.force_login(started.viewer_a)
    page = client.get(reverse("project-baselines", kwargs={"pk": started.project_a.pk})).content.decode()
    assert "+10" in page
    assert "Aurora internal costing review" not in page


def test_budget_follows_an_approved_rebaseline(started):
    started.project_a.budget = Decimal("1100000.00")
    started.project_a.save()
    baseline = services.baseline_propose(actor=started.pm, project=started.project_a, reason="Budget increase")
    services.baseline_decide(actor=started.approver_a, baseline=baseline, password=PASSWORD, approve=True)
    assert Baseline.objects.get(pk=baseline.pk).budget == Decimal("1100000.00")
