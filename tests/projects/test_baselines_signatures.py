import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from projects import services as project_services
from projects.baselines import services as baseline_services
from projects.milestones import services as milestone_services
from projects.models import Baseline, BaselineStatus, Milestone, Signature
from projects.signatures import services as signature_services
from tests.clients.factories import PASSWORD
from tests.conftest import api_as

# A re-baseline re-plans work still ahead (milestones already due keep their baseline): plan in the future.
PLANNED = timezone.localdate() + dt.timedelta(days=60)
REPLANNED = PLANNED + dt.timedelta(days=30)


@pytest.fixture
def started(world):
    Milestone.objects.filter(project=world.project_a).update(baseline_date=PLANNED, forecast_date=PLANNED)
    project_services.project_start(actor=world.pm, project=world.project_a)
    return world


def test_starting_records_the_first_baseline(started):
    baseline = Baseline.objects.get(project=started.project_a)
    assert (baseline.number, baseline.status) == (1, BaselineStatus.APPROVED)
    assert {i.milestone_name: i.date for i in baseline.items.all()} == {
        "Aurora shared milestone": PLANNED,
        "Aurora internal costing review": PLANNED,
    }


def test_rebaseline_needs_a_reason(started):
    with pytest.raises(ValidationError):
        baseline_services.baseline_propose(actor=started.pm, project=started.project_a, reason="  ")


def propose(world) -> Baseline:
    milestone_services.milestone_update(
        actor=world.pm, milestone=world.milestone_a, forecast_date=REPLANNED, reason="Scope grew"
    )
    return baseline_services.baseline_propose(actor=world.pm, project=world.project_a, reason="Approved scope change")


def test_wrong_password_signs_nothing_and_changes_nothing(started):
    baseline = propose(started)
    with pytest.raises(ValidationError) as error:
        baseline_services.baseline_decide(actor=started.approver_a, baseline=baseline, password="wrong", approve=True)
    assert "password" in error.value.message_dict
    baseline.refresh_from_db()
    assert baseline.status == BaselineStatus.PROPOSED
    assert not Signature.objects.exists()
    assert Milestone.objects.get(pk=started.milestone_a.pk).baseline_date == PLANNED


def test_approval_signs_applies_dates_and_detects_later_change(started):
    baseline = propose(started)
    signature = baseline_services.baseline_decide(
        actor=started.approver_a, baseline=baseline, password=PASSWORD, approve=True
    )
    assert signature.meaning == "approval"
    assert signature.printed_name == started.approver_a.display_name
    assert len(signature.content_hash) == 64
    assert signature.signed_at.utcoffset() == dt.timedelta(0)
    assert Milestone.objects.get(pk=started.milestone_a.pk).baseline_date == REPLANNED
    baseline.refresh_from_db()
    assert signature_services.signature_is_current(signature, baseline)

    Baseline.objects.filter(pk=baseline.pk).update(reason="Edited after signing")
    baseline.refresh_from_db()
    assert not signature_services.signature_is_current(signature, baseline)


def test_only_the_clients_approver_signs(started):
    baseline = propose(started)
    for user in (started.viewer_a, started.approver_b, started.pm, started.admin):
        with pytest.raises(PermissionDenied):
            baseline_services.baseline_decide(actor=user, baseline=baseline, password=PASSWORD, approve=True)


def test_deciding_twice_is_refused(started):
    baseline = propose(started)
    baseline_services.baseline_decide(actor=started.approver_a, baseline=baseline, password=PASSWORD, approve=False)
    with pytest.raises(ValidationError):
        baseline_services.baseline_decide(actor=started.approver_a, baseline=baseline, password=PASSWORD, approve=True)
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
    milestone_services.milestone_update(
        actor=started.pm, milestone=started.milestone_a, forecast_date=PLANNED + dt.timedelta(days=10), reason="Late"
    )
    client.force_login(started.viewer_a)
    page = client.get(reverse("project-baselines", kwargs={"pk": started.project_a.pk})).content.decode()
    assert "+10" in page
    assert "Aurora internal costing review" not in page


def test_budget_follows_an_approved_rebaseline(started):
    started.project_a.budget = Decimal("1100000.00")
    started.project_a.save()
    baseline = baseline_services.baseline_propose(actor=started.pm, project=started.project_a, reason="Budget increase")
    baseline_services.baseline_decide(actor=started.approver_a, baseline=baseline, password=PASSWORD, approve=True)
    assert Baseline.objects.get(pk=baseline.pk).budget == Decimal("1100000.00")


def test_a_late_milestone_stays_late_after_any_rebaseline(world):
    """A re-baseline re-plans the work ahead; what was due keeps the baseline in force when it was due."""
    from django.apps import apps
    from django.utils import timezone

    from metrics.lean import counters
    from metrics.lean.selectors import fetch_lean_data
    from metrics.scores.selectors import scoring_inputs
    from tests.projects.factories import MilestoneFactory

    today = timezone.localdate()
    project = world.project_a
    Milestone.objects.filter(project=project).delete()
    done_late = MilestoneFactory(
        project=project, sequence=1, baseline_date=today - dt.timedelta(60), forecast_date=today - dt.timedelta(30)
    )
    open_late = MilestoneFactory(
        project=project, sequence=2, baseline_date=today - dt.timedelta(10), forecast_date=today + dt.timedelta(20)
    )
    ahead = MilestoneFactory(
        project=project, sequence=3, baseline_date=today + dt.timedelta(30), forecast_date=today + dt.timedelta(50)
    )
    project_services.project_start(actor=world.pm, project=project)
    milestone_services.milestone_update(actor=world.pm, milestone=done_late, actual_date=today - dt.timedelta(30))

    def otd():
        totals = counters.project_quarter_totals(fetch_lean_data([project.pk])[project.pk], now=timezone.now())
        return sum(t.milestones_on_time for t in totals.values()), sum(t.milestones_completed for t in totals.values())

    otd_before = otd()
    events = apps.get_model("projects", "MilestoneEvent").objects
    events_before = {m.pk: events.filter(pgh_obj_id=m.pk).count() for m in (done_late, open_late)}

    for _ in range(2):  # any number of re-baselines
        baseline = baseline_services.baseline_propose(actor=world.pm, project=project, reason="Supplier delay")
        proposal = {i.milestone_id: i.date for i in baseline.items.all()}
        assert proposal[done_late.pk] == done_late.baseline_date  # the signer sees they stay
        assert proposal[open_late.pk] == open_late.baseline_date
        baseline_services.baseline_decide(actor=world.approver_a, baseline=baseline, password=PASSWORD, approve=True)

    for m in (done_late, open_late):
        stored = Milestone.objects.get(pk=m.pk)
        assert stored.baseline_date == m.baseline_date
        assert events.filter(pgh_obj_id=m.pk).count() == events_before[m.pk]  # no audit event rewrote them
    assert Milestone.objects.get(pk=ahead.pk).baseline_date == today + dt.timedelta(50)  # the plan ahead moved
    assert otd() == otd_before == (0, 1)  # the late completion is still late
    inputs = scoring_inputs([project.pk])[project.pk]
    slips = {m.milestone_id: m for m in inputs.milestones}
    assert slips[open_late.pk].baseline_date < today  # still late in the risk score's slip


def test_the_baselines_page_reads_a_fixed_number_of_queries_whatever_the_number_of_signed_baselines(
    started, client, django_assert_max_num_queries
):
    """Comparisons and signature verdicts come from what the page read once, not from a query per baseline."""
    client.force_login(started.viewer_a)
    url = reverse("project-baselines", kwargs={"pk": started.project_a.pk})
    with django_assert_max_num_queries(14) as one:
        assert client.get(url).status_code == 200
    for i in range(5):
        baseline = baseline_services.baseline_propose(
            actor=started.pm, project=started.project_a, reason=f"Re-plan {i}"
        )
        baseline_services.baseline_decide(actor=started.approver_a, baseline=baseline, password=PASSWORD, approve=True)
    with django_assert_max_num_queries(len(one)) as six:
        page = client.get(url)
    assert page.status_code == 200
    assert page.content.decode().count("signed by") == 5
    assert len(six) == len(one)
