"""Score recomputes: set-based, idempotent per bucket, locked, enqueued once on commit, with alerts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.utils import InternalError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from metrics.scores import services
from metrics.scores.models import CurrentScore, ScoreSnapshot, ScoringPolicy
from metrics.tasks import recompute_all_scores
from projects import services as project_services
from projects.change_requests import services as change_request_services
from projects.costs import services as cost_services
from projects.milestones import services as milestone_services
from projects.models import (
    ChangeRequest,
    Milestone,
    Notification,
    Project,
    ProjectStatus,
    QualityEvent,
)
from projects.quality import services as quality_services
from projects.risks import services as risk_services
from tests.clients.factories import PASSWORD
from tests.conftest import api_as
from tests.projects.factories import MilestoneFactory, ProjectFactory

NOW = dt.datetime(2026, 11, 24, 10, 7, tzinfo=dt.UTC)


def make_portfolio(n: int, **kwargs) -> list[Project]:
    projects = ProjectFactory.create_batch(n, **kwargs)
    for p in projects:
        MilestoneFactory(project=p, sequence=1, baseline_date=dt.date(2026, 3, 1), forecast_date=dt.date(2026, 3, 20))
        MilestoneFactory(project=p, sequence=2, baseline_date=dt.date(2026, 9, 1), forecast_date=dt.date(2026, 9, 1))
    return projects


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_scheduled_run_by_a_real_worker_writes_one_snapshot_per_active_project(celery_worker):
    active = make_portfolio(3)
    ProjectFactory(status=ProjectStatus.PLANNED)
    at = NOW.isoformat()

    assert recompute_all_scores.delay(at).get(timeout=90) == 3
    assert ScoreSnapshot.objects.filter(lens="cmo").count() == 3
    assert ScoreSnapshot.objects.filter(lens="client").count() == 3  # the client lens beside the CMO's score
    assert set(ScoreSnapshot.objects.values_list("project_id", flat=True)) == {p.pk for p in active}

    assert recompute_all_scores.delay(at).get(timeout=90) == 3
    assert ScoreSnapshot.objects.count() == 6  # same bucket: replaced, not duplicated (two lenses)
    assert not Project.objects.filter(pk__in=[p.pk for p in active], scores_stale=True).exists()


@pytest.mark.django_db(transaction=True)
def test_a_run_skips_while_another_holds_the_lock(lock_held_elsewhere):
    make_portfolio(2)
    with lock_held_elsewhere(services.ALL_PROJECTS_LOCK):
        assert services.scores_recompute(now=NOW) == 0
        assert ScoreSnapshot.objects.count() == 0
    assert services.scores_recompute(now=NOW) == 2


def test_an_edit_enqueues_exactly_one_recompute_on_commit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        milestone_services.milestone_update(actor=world.pm, milestone=world.milestone_a, percent_complete=Decimal(10))
        milestone_services.milestone_update(
            actor=world.pm, milestone=world.internal_milestone_a, percent_complete=Decimal(20)
        )
    recomputes = [c for c in callbacks if getattr(c, "recompute_project_id", None) == world.project_a.pk]
    assert len(recomputes) == 1


def _edit_then_fail(world):
    with transaction.atomic():
        milestone_services.milestone_update(actor=world.pm, milestone=world.milestone_a, percent_complete=10)
        raise RuntimeError("abort")


def test_a_rolled_back_edit_enqueues_nothing(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError):
            _edit_then_fail(world)
        milestone_services.milestone_update(actor=world.pm, milestone=world.milestone_b, percent_complete=10)
    ids = [getattr(c, "recompute_project_id", None) for c in callbacks]
    assert world.project_a.pk not in ids
    assert ids.count(world.project_b.pk) == 1


@pytest.mark.django_db
def test_recompute_query_count_does_not_grow_with_the_portfolio():
    def queries_for(n: int) -> int:
        ScoreSnapshot.objects.all().delete()
        Project.objects.all().delete()
        make_portfolio(n)
        with CaptureQueriesContext(connection) as ctx:
            assert services.scores_recompute(now=NOW) == n
        return len(ctx.captured_queries)

    ScoringPolicy.objects.current()  # created on first use; not part of what we measure
    assert queries_for(10) == queries_for(200)


@pytest.fixture
def broker_down():
    """Point the Celery app at a closed port (a real outage, not a mock), then restore it."""
    from kombu import pools

    from cmo_portal.celery import app

    original = app.conf.broker_url

    def reset_pools():
        app._pool = None
        app.amqp._producer_pool = None
        pools.reset()

    app.conf.broker_url = "redis://127.0.0.1:1/0"
    reset_pools()
    yield
    app.conf.broker_url = original
    reset_pools()


def test_broker_down_leaves_the_project_stale_and_the_scheduled_run_catches_up(
    world, broker_down, django_capture_on_commit_callbacks, caplog
):
    Project.objects.update(scores_stale=False)
    with django_capture_on_commit_callbacks(execute=True):
        updated = milestone_services.milestone_update(
            actor=world.pm, milestone=world.milestone_a, percent_complete=Decimal(10)
        )
    assert "Broker unavailable" in caplog.text  # the publish really failed
    assert updated.percent_complete == 10  # and the write still stands
    assert Project.objects.get(pk=world.project_a.pk).scores_stale
    services.scores_recompute(now=NOW)
    assert not Project.objects.get(pk=world.project_a.pk).scores_stale
    assert ScoreSnapshot.objects.filter(project=world.project_a).exists()


def test_what_if_writes_nothing_and_matches_the_approved_change(world):
    project_services.project_start(actor=world.pm, project=world.project_a)
    api = api_as(world.pm)
    change = {
        "schedule_impact_days": 14,
        "cost_impact": "50000.00",
        "scope_impact_percent": "5",
        "quality_impact": "minor",
    }
    tables = [Project, Milestone, ChangeRequest, ScoreSnapshot, Notification, QualityEvent]
    before_counts = [m.objects.count() for m in tables]
    response = api.post(reverse("api:project-what-if", kwargs={"pk": world.project_a.pk}), change, format="json")
    assert response.status_code == 200, response.content
    assert [m.objects.count() for m in tables] == before_counts
    predicted = response.json()["after"]

    cr = change_request_services.change_request_create(
        actor=world.pm,
        project=world.project_a,
        title="Extra batch",
        schedule_impact_days=14,
        cost_impact=Decimal("50000.00"),
        scope_impact_percent=Decimal(5),
        quality_impact="minor",
    )
    change_request_services.change_request_submit(actor=world.pm, change=cr)
    change_request_services.change_request_decide(actor=world.approver_a, change=cr, password=PASSWORD, approve=True)
    services.scores_recompute(project_ids=[world.project_a.pk])
    actual = ScoreSnapshot.objects.get(project=world.project_a, lens="cmo")
    assert Decimal(predicted["risk_score"]) == actual.risk_score
    assert Decimal(predicted["tradeoff_score"]) == actual.tradeoff_score
    assert predicted["stress"] == actual.result["stress"]


def test_what_if_bad_input_is_a_field_map(world):
    response = api_as(world.pm).post(
        reverse("api:project-what-if", kwargs={"pk": world.project_a.pk}),
        {"schedule_impact_days": "soon", "quality_impact": "catastrophic"},
        format="json",
    )
    assert response.status_code == 400
    assert {"schedule_impact_days", "quality_impact"} <= set(response.json())


def worsen(world, severity="critical"):
    quality_services.quality_event_create(
        actor=world.pm,
        project=world.project_a,
        reference=f"DEV-{severity}",
        title="Bioburden excursion",
        kind="deviation",
        severity=severity,
        opened=dt.date(2026, 11, 1),
    )


def test_worse_rag_alerts_pm_and_leadership_once(world):
    services.scores_recompute(project_ids=[world.project_a.pk], now=NOW)
    assert not Notification.objects.filter(kind="rag_worsened").exists()
    for risk in range(3):
        risk_services.risk_create(
            actor=world.pm, project=world.project_a, title=f"Risk {risk}", probability=5, impact=5
        )
    worsen(world)
    worsen(world, "major")
    later = NOW + dt.timedelta(minutes=15)
    services.scores_recompute(project_ids=[world.project_a.pk], now=later)
    snapshot = ScoreSnapshot.objects.get(project=world.project_a, lens="cmo", bucket=services.bucket_of(later))
    assert snapshot.rag in ("amber", "red")
    alerted = set(Notification.objects.filter(kind="rag_worsened").values_list("recipient__username", flat=True))
    expected = {"pm", "lead"} if snapshot.rag == "red" else {"pm"}
    assert alerted == expected
    assert "is now" in Notification.objects.filter(kind="rag_worsened").first().text

    # Same bucket again, then a later bucket at the same level: no repeat.
    services.scores_recompute(project_ids=[world.project_a.pk], now=later)
    services.scores_recompute(project_ids=[world.project_a.pk], now=later + dt.timedelta(minutes=15))
    assert Notification.objects.filter(kind="rag_worsened", recipient=world.pm).count() == 1


def test_policy_versions_are_new_rows_and_old_ones_cannot_change(world):
    v1 = ScoringPolicy.objects.current()
    v2 = services.scoring_policy_create_version(
        actor=world.leadership, parameters={"weight_time": "0.5"}, note="Schedule matters more this year"
    )
    assert (v1.version, v2.version) == (1, 2)
    assert ScoringPolicy.objects.current().as_policy().weight_time == Decimal("0.5")
    with pytest.raises(InternalError), transaction.atomic():
        ScoringPolicy.objects.filter(pk=v1.pk).update(note="rewritten")


def test_policy_rejects_bad_values_and_non_leaders(world):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(ValidationError):
        services.scoring_policy_create_version(
            actor=world.leadership, parameters={"red_threshold": "10", "amber_threshold": "50"}, note="Oops"
        )
    with pytest.raises(PermissionDenied):
        services.scoring_policy_create_version(actor=world.pm, parameters={}, note="PMs cannot")
    assert ScoringPolicy.objects.count() <= 1


def test_client_sees_scores_without_internal_cost_figures(world):
    cost_services.cost_entry_create(
        actor=world.pm,
        project=world.project_a,
        date=dt.date(2026, 5, 1),
        amount=Decimal("777123.45"),
        category="labour",
    )
    services.scores_recompute(project_ids=[world.project_a.pk, world.project_b.pk], now=NOW)
    client_view = api_as(world.viewer_a).get(reverse("api:score-list")).json()["results"]
    assert [s["project_code"] for s in client_view] == [world.project_a.code]
    (score,) = client_view
    assert "actual_cost" not in score["earned_value"]
    assert "estimate_at_completion" not in score["earned_value"]
    assert "777" not in str(score)
    staff_view = api_as(world.pm).get(reverse("api:score-list")).json()["results"]
    assert len(staff_view) == 2
    assert next(s for s in staff_view if s["project_code"] == world.project_a.code)["earned_value"]["actual_cost"]


@pytest.mark.django_db(transaction=True)
def test_an_edit_never_waits_for_the_scheduled_full_run(monkeypatch):
    """Issue 13: the full recompute commits batch by batch, so while it works on a later batch, a project of an
    earlier batch is recomputed at once (before: one transaction, and the edit waited for all of it)."""
    import threading

    from django.db import connections

    projects = make_portfolio(4)
    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    real_batch = services._recompute_batch
    second_batch_started, release = threading.Event(), threading.Event()

    def slow_second_batch(ids, policy, now, computed_at=None):
        written = real_batch(ids, policy, now, computed_at)
        if ids[0] != projects[0].pk:  # the second batch: hold its transaction open
            second_batch_started.set()
            release.wait(30)
        return written

    monkeypatch.setattr(services, "_recompute_batch", slow_second_batch)
    outcome = {}

    def full_run():
        try:
            outcome["written"] = services.scores_recompute(now=NOW)
        finally:
            connections.close_all()

    runner = threading.Thread(target=full_run)
    runner.start()
    try:
        assert second_batch_started.wait(30), "the full run never reached its second batch"
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # waiting on the full run's rows would fail here
        try:
            assert services.scores_recompute(project_ids=[projects[0].pk], now=NOW) == 1
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = 0")
    finally:
        release.set()
        runner.join(60)
    assert outcome["written"] == 4
    assert ScoreSnapshot.objects.filter(lens="cmo").count() == 4


@pytest.mark.django_db(transaction=True)
def test_the_full_run_never_overwrites_a_fresher_score_of_an_edit(monkeypatch):
    """Issue 13: a batch of the scheduled run that read its inputs before an edit's own recompute wrote a newer
    score leaves that score (and the project's current score) alone; the other projects of the batch are written."""
    import threading

    from django.db import connections

    projects = make_portfolio(4)
    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    real_inputs = services.scoring_inputs
    edited = projects[2]  # in the second batch
    edit = {}

    def edit_lands_while_the_batch_computes(ids, **kwargs):
        inputs = real_inputs(ids, **kwargs)  # the batch has taken its stamp and read (this lens's) inputs
        if edited.pk in ids and len(ids) > 1 and not edit:  # the full run's batch, once
            edit["started"] = True

            def recompute_after_edit():
                try:
                    edit["written"] = services.scores_recompute(project_ids=[edited.pk])
                    edit["at"] = ScoreSnapshot.objects.get(project=edited, lens="cmo").computed_at
                finally:
                    connections.close_all()

            thread = threading.Thread(target=recompute_after_edit)
            thread.start()
            thread.join(30)
        return inputs

    monkeypatch.setattr(services, "scoring_inputs", edit_lands_while_the_batch_computes)
    # Not stale: the batch locks no project row, so the edit's recompute runs to its end while the batch computes
    # (a stale project's row is locked by the batch that clears its flag: an edit then waits for that one batch).
    Project.objects.update(scores_stale=False)
    started = services.timezone.now()
    assert services.scores_recompute() == 4
    assert edit["written"] == 1
    snapshots = {s.project_id: s for s in ScoreSnapshot.objects.filter(lens="cmo")}
    assert len(snapshots) == 4  # one bucket: the edit's and the run's rows for the edited project are one row
    assert snapshots[edited.pk].computed_at == edit["at"]  # the edit's score stands
    # The same batch's other project was written with the batch's stamp, taken before the edit's recompute.
    assert started <= snapshots[projects[3].pk].computed_at < edit["at"]
    assert all(snapshots[p.pk].computed_at >= started for p in projects[:2])
    current = {(c.project_id, c.lens): c for c in CurrentScore.objects.all()}
    assert current[(edited.pk, "cmo")].snapshot_id == snapshots[edited.pk].pk
    assert current[(edited.pk, "cmo")].computed_at == edit["at"]


@pytest.mark.django_db
def test_the_current_score_is_the_newest_snapshot_of_each_project_and_lens():
    """The pointer the lists read equals a scan of the history, after runs in several buckets, a rerun in the
    same bucket and a run with an earlier ``now`` (which never moves the pointer back)."""
    projects = make_portfolio(3)
    ids = [p.pk for p in projects]
    for minutes in (0, 15, 15, 45):
        services.scores_recompute(project_ids=ids, now=NOW + dt.timedelta(minutes=minutes))
    services.scores_recompute(project_ids=ids, now=NOW - dt.timedelta(days=1))
    newest = {
        (s.project_id, s.lens): s.pk
        for s in ScoreSnapshot.objects.order_by("project_id", "lens", "-bucket").distinct("project_id", "lens")
    }
    pointers = {(c.project_id, c.lens): c.snapshot_id for c in CurrentScore.objects.all()}
    assert pointers == newest
    assert len(pointers) == 2 * len(projects)
    for pointer in CurrentScore.objects.select_related("snapshot"):
        assert (pointer.bucket, pointer.rag, pointer.risk_score) == (
            pointer.snapshot.bucket,
            pointer.snapshot.rag,
            pointer.snapshot.risk_score,
        )
