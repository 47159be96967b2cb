"""Full recompute (``metrics.scores.services.scores_recompute(project_ids=None)``, what the 15-minute task runs)
timed in-process against its floor, with a breakdown by phase (wall time and SQL time of each)."""

import datetime as dt
import time
from collections import defaultdict
from contextlib import ExitStack, contextmanager
from statistics import median

from django.db import connection

from bench.floor import run_floor, run_write_floor

# Functions of metrics.scores.services timed as phases (looked up by name: a phase that no longer exists is skipped).
PHASES = ("scoring_inputs", "_snapshot", "_previous_rags", "_upsert", "_alert_on_worse_rag")


class PhaseTimer:
    """Wall and SQL seconds per phase of one recompute; the SQL time comes from Django's execute wrapper."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = defaultdict(float)
        self.sql: dict[str, float] = defaultdict(float)
        self.queries = 0
        self.current = "other"

    def __call__(self, execute, sql, params, many, context):  # Django's execute wrapper
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.sql[self.current] += time.perf_counter() - start
            self.queries += 1

    def wrap(self, name: str, fn):
        def timed(*args, **kwargs):
            outer, self.current = self.current, name
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.wall[name] += time.perf_counter() - start
                self.current = outer

        return timed


@contextmanager
def _patched(obj, name: str, replacement):
    """Time an application function from outside (the bench edits no application code)."""
    own = name in vars(obj)
    original = getattr(obj, name)
    setattr(obj, name, replacement)
    try:
        yield
    finally:
        if own:
            setattr(obj, name, original)
        else:
            delattr(obj, name)


def recompute_once(now: dt.datetime, *, full: bool = True) -> tuple[float, int, PhaseTimer]:
    """One run of the scheduled recompute at ``now`` (its 15-minute bucket): ``full`` computes every project (the
    first run of a day, a new policy), otherwise only the projects whose inputs changed (none, here: the rest are
    carried forward). Returns (seconds, projects scored, phases)."""
    from metrics import scoring
    from metrics.scores import services

    timer = PhaseTimer()
    with ExitStack() as stack:
        for name in PHASES:
            if hasattr(services, name):
                stack.enter_context(_patched(services, name, timer.wrap(name, getattr(services, name))))
        if hasattr(scoring, "compute_scores"):
            stack.enter_context(
                _patched(scoring, "compute_scores", timer.wrap("compute_scores", scoring.compute_scores))
            )
        stack.enter_context(connection.execute_wrapper(timer))
        start = time.perf_counter()
        written = services.scores_recompute(project_ids=None, channel="task", now=now, full=full)
        elapsed = time.perf_counter() - start
    timer.wall["total"] = elapsed
    return elapsed, written, timer


class Buckets:
    """Strictly increasing 15-minute buckets in the past, so every timed run inserts a new bucket (as the schedule
    does) and every run of the real worker later is newer than all of them."""

    def __init__(self, start: dt.datetime) -> None:
        self.next = start

    def take(self) -> dt.datetime:
        bucket, self.next = self.next, self.next + dt.timedelta(minutes=15)
        return bucket


def measure(buckets: Buckets, *, runs: int, log=print) -> dict:
    """A warm-up run (absorbs the first run's RAG alerts), then ``runs`` timed runs and as many floor passes."""
    warm_seconds, written, _ = recompute_once(buckets.take())
    log(f"    warm-up recompute: {warm_seconds:.2f} s, {written} projects")
    samples = []
    for _ in range(runs):
        seconds, written, timer = recompute_once(buckets.take())
        samples.append((seconds, timer))
        log(f"    recompute: {seconds:.2f} s ({timer.queries} queries)")
    floors = []
    for _ in range(runs):
        seconds, rows = run_floor(dt.datetime.now(dt.UTC).date())
        floors.append(seconds)
        log(f"    floor: {seconds:.3f} s ({rows} rows)")
    write_floor, write_rows = run_write_floor(buckets.next - dt.timedelta(minutes=15))
    samples.sort(key=lambda s: s[0])
    seconds, timer = samples[len(samples) // 2]
    # The scheduled run when no input changed since the last run (most of a day's 96 runs): the generator's writes
    # are older than the scores just computed, so no change window is needed to tell them apart.
    from metrics.scores import services

    carried = []
    with _patched(services, "CHANGE_WINDOW", dt.timedelta(0)):
        for _ in range(runs):
            carry_seconds, _, _ = recompute_once(buckets.take(), full=False)
            carried.append(carry_seconds)
            log(f"    scheduled run, inputs unchanged: {carry_seconds:.2f} s")
    return {
        "carried": median(carried),
        "projects": written,
        "seconds": seconds,
        "all_seconds": [s for s, _ in samples],
        "floor": median(floors),
        "write_floor": write_floor,
        "write_floor_rows": write_rows,
        "queries": timer.queries,
        "phases": dict(timer.wall),
        "phase_sql": dict(timer.sql),
    }
