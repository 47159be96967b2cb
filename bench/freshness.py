"""Edit -> fresh score through a real Celery worker on Redis, idle and while a full recompute runs.

An edit is ``projects.milestones.services.milestone_update`` (a PM moves an open milestone's forecast by a day,
with a reason), as the page and the API call it; it commits, its ``on_commit`` sends
``metrics.tasks.recompute_project_scores`` to the broker and the worker recomputes. The score is fresh when the
project's newest CMO-lens snapshot was computed after the edit began (a full run that started before the edit
does not count, even if it happened to read the new date). Latency: edit start -> fresh snapshot seen (polled
every 5 ms).
"""

import datetime as dt
import random
import time
from collections import Counter
from statistics import median

from django.db import connection
from django.utils import timezone

POLL = 0.005
FRESH_TIMEOUT = 180.0


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


class Candidates:
    """Projects with an open milestone, the big client's first, in a fixed random order; each is edited once
    before any is edited again."""

    def __init__(self, client_slug: str) -> None:
        from projects.models import Milestone

        rows = (
            Milestone.objects.filter(actual_date__isnull=True)
            .values_list("project_id", "project__client__slug")
            .distinct()
        )
        big = sorted({pid for pid, slug in rows if slug == client_slug})
        others = sorted({pid for pid, slug in rows if slug != client_slug})
        random.Random(13).shuffle(big)  # an edit lands on any project, early or late in a full run's order
        random.Random(13).shuffle(others)
        self.ids = big + others
        self.next = 0

    def pop(self) -> int:
        pid = self.ids[self.next % len(self.ids)]
        self.next += 1
        return pid


def edit(project_id: int) -> tuple[dt.datetime, float]:
    """A PM moves the project's next open milestone by one day; returns (wall clock, perf counter) at its start."""
    from projects.milestones.services import milestone_update
    from projects.models import Milestone

    milestone = (
        Milestone.objects.select_related("project__manager")
        .filter(project_id=project_id, actual_date__isnull=True)
        .order_by("sequence")
        .first()
    )
    began, clock = timezone.now(), time.perf_counter()
    milestone_update(
        actor=milestone.project.manager,
        milestone=milestone,
        expected_version=milestone.version,
        reason="bench: forecast moved by a day",
        forecast_date=milestone.forecast_date + dt.timedelta(days=1),
    )
    return began, clock


def _newest(project_ids: list[int]) -> dict[int, dt.datetime]:
    from metrics.scores.models import ScoreLens, ScoreSnapshot

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT project_id, max(computed_at) FROM {ScoreSnapshot._meta.db_table} "  # noqa: S608
            "WHERE lens = %s AND project_id = ANY(%s) GROUP BY project_id",
            [ScoreLens.CMO, project_ids],
        )
        return dict(cursor.fetchall())


def _statement(query: str) -> str:
    """The statement itself, without pghistory's ``SELECT set_config(...)`` prefix, on one line, shortened."""
    if query.startswith("SELECT set_config(") and "; " in query:
        query = query.split("; ", 1)[1]
    return " ".join(query.split())[:70]


def _lock_waits() -> list[str]:
    """Sessions of this database waiting for a lock: what waits, and the statement of the session blocking it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT w.wait_event, left(w.query, 2000), left(b.query, 2000) FROM pg_stat_activity w "
            "LEFT JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS blocker(pid) ON true "
            "LEFT JOIN pg_stat_activity b ON b.pid = blocker.pid "
            "WHERE w.datname = current_database() AND w.pid <> pg_backend_pid() AND w.wait_event_type = 'Lock'"
        )
        return [
            f"{event}: {_statement(query or '')} <- blocked by: {_statement(blocker or '')}"
            for event, query, blocker in cursor.fetchall()
        ]


def full_run_active() -> bool:
    """The scheduled full recompute holds its advisory lock (metrics.locks.ALL_PROJECTS_LOCK) right now."""
    from metrics.locks import ALL_PROJECTS_LOCK

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
            "WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database() "
            "AND l.classid = 0 AND l.objid = %s AND l.objsubid = 1",
            [ALL_PROJECTS_LOCK],
        )
        return cursor.fetchone()[0] > 0


class Poller:
    """Edits waiting for their fresh score; ``poll()`` checks them all in one query."""

    def __init__(self) -> None:
        self.pending: dict[int, tuple[dt.datetime, float]] = {}
        self.done: dict[int, float] = {}
        self.waits: Counter = Counter()
        self.polls = 0

    def add(self, project_id: int) -> None:
        self.pending[project_id] = edit(project_id)

    @property
    def open(self) -> list[int]:
        return [pid for pid in self.pending if pid not in self.done]

    def poll(self) -> None:
        waiting = self.open
        if waiting:
            newest = _newest(waiting)
            now = time.perf_counter()
            for pid, computed in newest.items():
                if computed is not None and computed > self.pending[pid][0]:
                    self.done[pid] = now - self.pending[pid][1]
        self.polls += 1
        if self.polls % 10 == 0:
            self.waits.update(_lock_waits())

    def wait(self) -> None:
        deadline = time.perf_counter() + FRESH_TIMEOUT
        while self.open and time.perf_counter() < deadline:
            self.poll()
            time.sleep(POLL)

    def samples(self) -> list[float]:
        return [self.done.get(pid, float("inf")) for pid in self.pending]

    def overwritten(self) -> int:
        """Edits whose project's newest snapshot is, after the full run, older than the edit again."""
        newest = _newest(list(self.pending))
        return sum(1 for pid, (began, _) in self.pending.items() if newest.get(pid) and newest[pid] <= began)


def ping_round_trips(app, count: int) -> list[float]:
    """Baseline: a no-op task's round trip through the same broker and worker (cmo_portal.ping)."""
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        app.send_task("cmo_portal.ping").get(timeout=30)
        samples.append(time.perf_counter() - start)
    return samples


def idle_edits(candidates: Candidates, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        poller = Poller()
        poller.add(candidates.pop())
        poller.wait()
        samples += poller.samples()
    return samples


def full_run_via_worker(app, timeout: float = 900) -> float:
    """The 15-minute task on the worker, computing every project (``full``; the scheduled run computes only what
    changed): seconds from sending to its result."""
    start = time.perf_counter()
    app.send_task("metrics.tasks.recompute_all_scores", kwargs={"full": True}).get(timeout=timeout)
    return time.perf_counter() - start


def busy_edits(app, candidates: Candidates, *, runs: int, per_run: int, run_seconds: float, log=print) -> dict:
    """Edits spread over a full recompute running on the same worker (the other prefork child takes them);
    freshness is polled all along."""
    samples: list[float] = []
    durations: list[float] = []
    waits: Counter = Counter()
    skipped = overwritten = 0
    for r in range(runs):
        sent = time.perf_counter()
        result = app.send_task("metrics.tasks.recompute_all_scores", kwargs={"full": True})
        deadline = time.perf_counter() + 60
        while not full_run_active() and time.perf_counter() < deadline:
            time.sleep(0.01)
        started = time.perf_counter()
        schedule = [started + run_seconds * 0.9 * (k + 0.5) / per_run for k in range(per_run)]
        poller = Poller()
        deadline = started + run_seconds + FRESH_TIMEOUT
        while (schedule or poller.open) and time.perf_counter() < deadline:
            if schedule and time.perf_counter() >= schedule[0]:
                schedule.pop(0)
                if full_run_active():
                    poller.add(candidates.pop())
                else:
                    skipped += 1
                continue
            poller.poll()
            time.sleep(POLL)
        result.get(timeout=900)
        durations.append(time.perf_counter() - sent)
        samples += poller.samples()
        waits.update(poller.waits)
        overwritten += poller.overwritten()
        log(
            f"    full run {r + 1}/{runs} ({durations[-1]:.1f} s): {len(poller.pending)} edits, fresh after "
            + ", ".join(f"{x:.2f}" for x in poller.samples())
            + " s"
        )
    return {
        "samples": samples,
        "lock_waits": waits,
        "skipped": skipped,
        "durations": durations,
        "overwritten": overwritten,
    }


def summary(samples: list[float]) -> dict:
    return {"n": len(samples), "p50": median(samples), "p95": percentile(samples, 95), "max": max(samples)}
