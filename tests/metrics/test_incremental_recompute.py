"""The scheduled full run computes only what changed (issue 13): a project none of whose scoring inputs was written
since its current score, on the same day and under the same policy, is carried into the new bucket by SQL; every
other project is computed. Carried scores equal what a full computation gives, and a change by any route (a service,
the admin, raw SQL) is seen, because it is read from the audit event tables every write reaches."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.scores import services
from metrics.scores.models import CurrentScore, ScoreSnapshot
from metrics.scores.selectors import SCORING_INPUT_MODELS, scoring_inputs
from projects.models import Milestone, Project, Risk
from projects.risks import services as risk_services
from tests.metrics.test_recompute import NOW, make_portfolio
from tests.projects.factories import RiskFactory

# Committed writes: an audit event carries its transaction's start time, as in production.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_window(monkeypatch):
    """Production looks for input changes from ``CHANGE_WINDOW`` before a score was computed (a long transaction's
    events carry its start time); here records written a second before count as read: the mechanism, not the
    margin (``test_a_change_within_the_window_counts`` keeps the margin)."""
    monkeypatch.setattr(services, "CHANGE_WINDOW", dt.timedelta(0))


QUARTER = dt.timedelta(minutes=15)


def scores_in(bucket) -> dict[tuple[int, str], tuple]:
    return {
        (s.project_id, s.lens): (s.risk_score, s.tradeoff_score, s.rag, s.result, s.inputs)
        for s in ScoreSnapshot.objects.filter(bucket=services.bucket_of(bucket))
    }


def computed(monkeypatch) -> list[int]:
    """The project ids the run computes (rather than carries), in the order it computes them."""
    seen: list[int] = []
    real = services._recompute_batch

    def spy(ids, *args, **kwargs):
        seen.extend(ids)
        return real(ids, *args, **kwargs)

    monkeypatch.setattr(services, "_recompute_batch", spy)
    return seen


def test_unchanged_projects_are_carried_and_equal_a_full_computation(monkeypatch):
    projects = make_portfolio(4)
    for p in projects[:2]:
        RiskFactory(project=p, probability=4, impact=5)
    assert services.scores_recompute(now=NOW) == 4
    first = scores_in(NOW)

    seen = computed(monkeypatch)
    assert services.scores_recompute(now=NOW + QUARTER) == 4
    assert seen == []  # nothing changed: every project carried, none computed
    carried = scores_in(NOW + QUARTER)
    assert carried == first
    assert services.scores_recompute(now=NOW + 2 * QUARTER, full=True) == 4
    assert seen == sorted(p.pk for p in projects)
    assert scores_in(NOW + 2 * QUARTER) == carried  # what a full computation gives
    # One snapshot per project, lens and bucket; the current score is the newest.
    assert ScoreSnapshot.objects.count() == 3 * 2 * 4
    newest = services.bucket_of(NOW + 2 * QUARTER)
    assert set(CurrentScore.objects.values_list("bucket", flat=True)) == {newest}


def test_a_change_by_any_route_is_computed_and_only_that_project(monkeypatch):
    projects = make_portfolio(3)
    services.scores_recompute(now=NOW)
    seen = computed(monkeypatch)
    # A service (which also marks the project stale) on one project, raw SQL (no flag, no service) on another.
    risk_services.risk_create(actor=projects[0].manager, project=projects[0], title="Supplier", probability=5, impact=5)
    milestone = Milestone.objects.filter(project=projects[1]).order_by("sequence").first()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Milestone._meta.db_table} SET forecast_date = forecast_date + 60 WHERE id = %s", [milestone.pk]
        )
    assert not Project.objects.get(pk=projects[1].pk).scores_stale
    services.scores_recompute(now=NOW + QUARTER)
    assert sorted(seen) == sorted([projects[0].pk, projects[1].pk])  # the third is carried
    incremental = scores_in(NOW + QUARTER)
    services.scores_recompute(now=NOW + 2 * QUARTER, full=True)
    assert scores_in(NOW + 2 * QUARTER) == incremental


@pytest.mark.parametrize("reason", ["new day", "new policy", "no current score"])
def test_every_project_is_computed_on_a_new_day_a_new_policy_or_without_a_score(monkeypatch, reason, world):
    projects = make_portfolio(3)
    services.scores_recompute(now=NOW)
    later = NOW + QUARTER
    if reason == "new day":
        later = NOW + dt.timedelta(days=1)
    elif reason == "new policy":
        services.scoring_policy_create_version(
            actor=world.leadership, parameters={"weight_time": "0.9"}, note="Time weighs more"
        )
    else:
        CurrentScore.objects.filter(project=projects[2]).delete()
    seen = computed(monkeypatch)
    services.scores_recompute(now=later)
    active = Project.objects.filter(status="active").values_list("pk", flat=True)
    expected = [projects[2].pk] if reason == "no current score" else list(active)
    assert sorted(seen) == sorted(expected)


def test_an_edit_in_the_bucket_is_not_overwritten_by_the_carry():
    projects = make_portfolio(2)
    services.scores_recompute(now=NOW)
    services.scores_recompute(project_ids=[projects[0].pk], now=NOW + QUARTER)  # the edit's own recompute
    edited = ScoreSnapshot.objects.get(project=projects[0], lens="cmo", bucket=services.bucket_of(NOW + QUARTER))
    services.scores_recompute(now=NOW + QUARTER)
    again = ScoreSnapshot.objects.get(project=projects[0], lens="cmo", bucket=services.bucket_of(NOW + QUARTER))
    assert again.computed_at == edited.computed_at


def test_scoring_inputs_reads_only_the_declared_input_tables():
    """A new table read by ``scoring_inputs`` must join ``SCORING_INPUT_MODELS``, or its changes would go unseen
    by the scheduled run until the next day."""
    projects = make_portfolio(2)
    RiskFactory(project=projects[0])
    declared = {m._meta.db_table for m in SCORING_INPUT_MODELS}
    for lens in ("cmo", "client"):
        with CaptureQueriesContext(connection) as queries:
            scoring_inputs([p.pk for p in projects], as_of=NOW.date(), lens=lens)
        read = {t for q in queries.captured_queries for t in re.findall(r'(?:FROM|JOIN)\s+"(\w+)"', q["sql"])}
        assert read, "no query captured"
        assert read <= declared | {"clients_client"}, read - declared
    assert {Risk._meta.db_table, Milestone._meta.db_table} <= declared


def test_a_change_within_the_window_counts(monkeypatch):
    """A transaction that began before a score read its inputs and committed after: its events are older than the
    score, and the window still sees them."""
    monkeypatch.setattr(services, "CHANGE_WINDOW", dt.timedelta(minutes=10))
    projects = make_portfolio(2)
    services.scores_recompute(now=NOW)
    seen = computed(monkeypatch)
    services.scores_recompute(now=NOW + QUARTER)
    assert sorted(seen) == sorted(p.pk for p in projects)  # written seconds before the score: within the window
