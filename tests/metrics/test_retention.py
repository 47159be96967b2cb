"""Score history retention (issue 13): every snapshot for two days, the last of each hour for a month, the last
of each day after; the newest of each project and lens always stays; a second run deletes nothing."""

import datetime as dt

import pytest

from metrics.scores.models import CurrentScore, ScoreSnapshot
from metrics.scores.retention import snapshots_prune
from metrics.scores.services import current_scores_repoint
from tests.metrics.factories import ScoreSnapshotFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
QUARTER = dt.timedelta(minutes=15)


def history(project, lens: str, *, days: int) -> None:
    """A snapshot every 15 minutes for ``days`` days before NOW (the scheduled recompute's rhythm)."""
    buckets = [NOW - QUARTER * i for i in range(days * 96)]
    ScoreSnapshot.objects.bulk_create(
        [ScoreSnapshotFactory.build(project=project, lens=lens, bucket=b, as_of=b.date()) for b in buckets]
    )
    current_scores_repoint([project.pk])


def test_history_is_thinned_by_age_and_the_newest_stays(world):
    history(world.project_a, "cmo", days=40)
    history(world.project_a, "client", days=40)
    # A project that stopped being recomputed 60 days ago keeps its newest snapshot (the newest of its day).
    stopped = [NOW - dt.timedelta(days=60) - QUARTER * i for i in range(10)]
    for bucket in stopped:
        ScoreSnapshotFactory(project=world.project_b, lens="cmo", bucket=bucket)
    before = ScoreSnapshot.objects.count()
    pointers = set(CurrentScore.objects.values_list("project_id", "lens", "snapshot_id"))

    deleted = snapshots_prune(now=NOW)

    # The current scores the lists read survive the thinning: each is the newest snapshot of its project and lens.
    assert set(CurrentScore.objects.values_list("project_id", "lens", "snapshot_id")) == pointers
    assert len(pointers) == 3

    assert deleted == before - ScoreSnapshot.objects.count()
    for lens in ("cmo", "client"):
        kept = list(
            ScoreSnapshot.objects.filter(project=world.project_a, lens=lens)
            .order_by("-bucket")
            .values_list("bucket", flat=True)
        )
        assert kept[0] == NOW  # the newest
        recent = [b for b in kept if b >= NOW - dt.timedelta(days=2)]
        assert len(recent) == 2 * 96 + 1  # every quarter hour of two days (both ends)
        hourly = [b for b in kept if NOW - dt.timedelta(days=30) <= b < NOW - dt.timedelta(days=2)]
        hours = {b.replace(minute=0) for b in hourly}
        assert len(hourly) == len(hours)  # one per hour
        assert all(b.minute == 45 for b in hourly)  # and it is the last of its hour
        daily = [b for b in kept if b < NOW - dt.timedelta(days=30)]
        assert len(daily) == len({b.date() for b in daily})  # one per day
    assert list(ScoreSnapshot.objects.filter(project=world.project_b).values_list("bucket", flat=True)) == [stopped[0]]
    assert snapshots_prune(now=NOW) == 0  # idempotent


def test_the_nightly_job_is_scheduled_and_finishes_within_the_visibility_timeout(settings):
    entries = {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "metrics.tasks.prune_score_history" in entries
