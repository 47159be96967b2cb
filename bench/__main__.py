"""``make bench``: issue 13's figures, each beside a baseline measured in the same run, in one table.

    make bench                      # 10,000 projects (and 1,000 for the scaling ratio); about 17-25 minutes
    BENCH_SCALE=1000 make bench     # quick: 1,000 projects (and 100); about 6-8 minutes

Knobs (environment): BENCH_SCALE (projects, default 10000; the small scale is a tenth), BENCH_DB (database name,
default cmo_bench; created, migrated and dropped), BENCH_KEEP_DB=1 (keep it afterwards and reuse a kept one),
BENCH_LOAD_SECONDS (locust run per URL, default 20), BENCH_ONLY (comma list of recompute, worker, web).

The bench starts what it measures: its own redis-server on a free port (broker and cache), a Celery worker as
the Procfile runs it, gunicorn with 2 workers as the image runs it, locust on loopback. It needs the configured
PostgreSQL (embedded or DATABASE_URL) with a role that may create databases; see docs/performance.md.
"""

import datetime as dt
import os
import platform
import shutil
import tempfile
import time
import warnings
from pathlib import Path

STARTED = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:6.0f} s] {message}", flush=True)


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Table:
    """figure | value | baseline (same run) | ratio | target | met? | notes"""

    def __init__(self) -> None:
        self.rows: list[tuple[str, ...]] = []
        self.missed: list[str] = []

    def add(self, figure, value, baseline="", ratio="", target="", met=None, notes="", key=""):
        verdict = "info" if met is None else ("met" if met else "MISSED")
        if met is False and key:
            self.missed.append(key)
        self.rows.append((figure, value, baseline, ratio, target, verdict, notes))

    def render(self) -> str:
        header = ("figure", "value", "baseline (same run)", "ratio", "target", "met?", "notes")
        widths = [max(len(str(r[i])) for r in [header, *self.rows]) for i in range(len(header))]
        line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) + " |"  # noqa: E731
        sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
        return "\n".join([line(header), sep, *(line(r) for r in self.rows)])


def secs(value: float) -> str:
    return f"{value:.2f} s" if value >= 1 else f"{value * 1000:.0f} ms"


def machine() -> str:
    from django.db import connection

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} CPU ({cpu}), {memory} RAM, Python {platform.python_version()}, PostgreSQL {server}, "
        f"load average at start {load[0]:.1f}; code: {code_state()}"
    )


def code_state() -> str:
    """The commit measured, and how many application files differ from it (the figures are of the work tree)."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", ".", ":!bench", ":!docs"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return f"commit {commit}" + (f" + {len(changed)} changed files outside bench/ and docs/" if changed else "")


def main() -> None:  # noqa: C901, PLR0915 -- one linear script: set up, measure, report
    warnings.filterwarnings("ignore", message="No directory at")
    scale = _env_int("BENCH_SCALE", 10_000)
    small = max(10, scale // 10)
    load_seconds = _env_int("BENCH_LOAD_SECONDS", 20)
    only = {s.strip() for s in os.environ.get("BENCH_ONLY", "recompute,worker,web").split(",") if s.strip()}
    keep = os.environ.get("BENCH_KEEP_DB", "") == "1"
    database = os.environ.get("BENCH_DB", "cmo_bench")
    out = Path(tempfile.mkdtemp(prefix="cmo-bench-"))

    from bench import processes

    redis = None
    if shutil.which("redis-server"):
        redis, url = processes.start_redis(out)
        os.environ["REDIS_URL"] = url
    elif not os.environ.get("REDIS_URL"):
        raise SystemExit("make bench needs redis-server on PATH (or REDIS_URL) for the worker measurements")
    os.environ["CELERY_QUEUE"] = f"bench-{os.getpid()}"
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret")  # the same key for the bench, worker and web
    os.environ["DJANGO_SETTINGS_MODULE"] = "cmo_portal.settings.test"
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = database  # never a test run's database
    setup_test_environment()
    log(f"bench at {scale:,} projects (and {small:,}); logs in {out}; redis {os.environ['REDIS_URL']}")
    # No serialization of the contents for serialized_rollback: at 10k that would read every row (minutes).
    old = setup_databases(verbosity=0, interactive=False, keepdb=keep, serialized_aliases=set())
    started_processes: list = []
    try:
        run(scale, small, load_seconds, only, out, started_processes)
    finally:
        for process in started_processes:
            processes.stop(process)
        if not keep:
            connection.close()
            teardown_databases(old, verbosity=0)
        processes.stop(redis)
        log(f"done in {(time.perf_counter() - STARTED) / 60:.1f} minutes")


def run(scale: int, small: int, load_seconds: int, only: set[str], out: Path, worker_box: list) -> None:  # noqa: C901, PLR0912, PLR0915
    from django.db import connection
    from django.utils import timezone

    from bench import freshness, processes, recompute, web
    from bench.portfolio import (
        BIG_CLIENT_SLUG,
        LEADERSHIP_USERNAME,
        approver_username,
        build_portfolio,
        project_code,
        seed_score_history,
    )
    from metrics.scores.services import bucket_of
    from projects.models import Project

    print(f"Machine: {machine()}")
    table = Table()
    profiles: dict[str, list[str]] = {}
    started_at = timezone.now()
    buckets = recompute.Buckets(bucket_of(started_at) - dt.timedelta(hours=12))
    existing = Project.objects.filter(code__startswith="BN-").count()
    results: dict[str, dict] = {}

    def build(upto: int, start: int) -> None:
        t = time.perf_counter()
        ids = build_portfolio(upto, start=start, log=log)
        t_build = time.perf_counter() - t
        t = time.perf_counter()
        rows = seed_score_history(ids, now=started_at)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum does to freshly loaded tables
        log(
            f"  portfolio {start:,}..{upto - 1:,}: built in {t_build:.0f} s; {rows:,} snapshots of history "
            f"(a year, weekly, both lenses) in {time.perf_counter() - t:.0f} s"
        )

    if existing >= scale:
        log(f"reusing the kept database ({existing:,} projects): no build, no small-scale recompute")
    else:
        log(f"building {small:,} projects")
        build(small, existing)
        if "recompute" in only:
            log(f"recompute at {small:,} projects")
            results["small"] = recompute.measure(buckets, runs=3, log=log)
        log(f"building up to {scale:,} projects")
        build(scale, max(small, existing))
    if "recompute" in only:
        log(f"recompute at {scale:,} projects")
        results["large"] = recompute.measure(buckets, runs=3, log=log)

    big = Project.objects.select_related("manager").get(code=project_code(0))
    if "worker" in only:
        from cmo_portal.celery import app

        queue = os.environ["CELERY_QUEUE"]
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)  # alerts e-mailed by the in-process runs: not this figure
        log("starting a Celery worker (prefork, concurrency 2)")
        worker = processes.start_worker(connection.settings_dict["NAME"], queue, out)
        worker_box.append(worker)
        idle_rss = processes.current_rss_mib(worker.pid)
        pings = freshness.ping_round_trips(app, 20)
        full_first = freshness.full_run_via_worker(app)
        log(f"  full recompute on the worker (its first task): {full_first:.2f} s")
        candidates = freshness.Candidates(BIG_CLIENT_SLUG)
        idle = freshness.idle_edits(candidates, 20)
        log(f"  edit -> fresh, idle: {', '.join(f'{s:.3f}' for s in idle)} s")
        busy = freshness.busy_edits(app, candidates, runs=3, per_run=4, run_seconds=full_first, log=log)
        results["worker"] = {
            "idle_rss": idle_rss,
            "peak_rss": processes.peak_rss_mib(worker.pid),
            "full": sorted(busy["durations"])[len(busy["durations"]) // 2],
            "full_runs": len(busy["durations"]),
            "pings": freshness.summary(pings),
            "idle": freshness.summary(idle),
            "busy": freshness.summary(busy["samples"]) if busy["samples"] else None,
            "lock_waits": busy["lock_waits"],
            "overwritten": busy["overwritten"],
        }
        processes.stop(worker)
        worker_box.clear()

    points = []
    if "web" in only:
        points = web.endpoints(big.pk, big.manager.username, approver_username(BIG_CLIENT_SLUG), LEADERSHIP_USERNAME)
        web.login_cookies(points)
        log(f"load: gunicorn 2 workers, locust {web.USERS} users, {load_seconds} s per URL")
        for point in points:
            try:
                point.result = web.load(point, connection.settings_dict["NAME"], load_seconds, out, log=log)
            except Exception as error:  # one URL's failure must not lose the other figures
                log(f"    {point.label}: not measured ({type(error).__name__}: {error})")
                point.result = {"status": f"error {type(error).__name__}"}

    # --- The table ------------------------------------------------------------------------------------------
    for key, n in (("small", small), ("large", scale)):
        r = results.get(key)
        if r:
            ratio = r["seconds"] / r["floor"]
            table.add(
                f"full recompute, {n:,} projects",
                secs(r["seconds"]),
                f"floor {secs(r['floor'])}",
                f"{ratio:.1f}x",
                "<= 2x floor",
                ratio <= 2,
                f"every project computed (a new day or policy); {r['queries']} queries; "
                f"median of {len(r['all_seconds'])}",
                key=f"recompute_{key}",
            )
            carried_ratio = r["carried"] / r["floor"]
            table.add(
                f"scheduled recompute, inputs unchanged, {n:,}",
                secs(r["carried"]),
                f"floor {secs(r['floor'])}",
                f"{carried_ratio:.1f}x",
                "<= 2x floor",
                carried_ratio <= 2,
                "no input written since the last run: scores carried by SQL; median of 3",
                key=f"recompute_carried_{key}",
            )
    if "small" in results and "large" in results:
        growth = results["large"]["seconds"] / results["small"]["seconds"]
        floor_growth = results["large"]["floor"] / results["small"]["floor"]
        table.add(
            f"recompute {scale:,} / {small:,}",
            f"{growth:.1f}",
            f"floor {floor_growth:.1f}",
            f"{growth / floor_growth:.2f}x",
            "<= 11",
            growth <= 11,
            "10x the projects",
            key="recompute_growth",
        )
    w = results.get("worker")
    if w:
        floor = results.get("large", {}).get("floor")
        table.add(
            f"full recompute on the worker, {scale:,}",
            secs(w["full"]),
            f"floor {secs(floor)}" if floor else "",
            f"{w['full'] / floor:.1f}x" if floor else "",
            "",
            None,
            f"task sent -> result through Redis; median of {w['full_runs']}",
        )
        table.add(
            "worker peak RSS (one process)",
            f"{w['peak_rss']:.0f} MiB",
            f"idle {w['idle_rss']:.0f} MiB",
            f"{w['peak_rss'] / w['idle_rss']:.1f}x",
            "< 1024 MiB",
            w["peak_rss"] < 1024,
            "VmHWM of the largest prefork child",
            key="worker_rss",
        )
        ping = w["pings"]["p50"]
        for label, s, key in (("idle", w["idle"], "fresh_idle"), ("during a full recompute", w["busy"], "fresh_busy")):
            if not s:
                continue
            table.add(
                f"edit -> fresh score p50, {label}",
                secs(s["p50"]),
                f"ping task {secs(ping)}",
                f"{s['p50'] / ping:.0f}x",
                "",
                None,
                f"n={s['n']}",
            )
            table.add(
                f"edit -> fresh score p95, {label}",
                secs(s["p95"]),
                f"ping task {secs(ping)}",
                f"{s['p95'] / ping:.0f}x",
                "<= 1 s",
                s["p95"] <= 1.0,
                f"max {secs(s['max'])}"
                + (
                    f"; {w['overwritten']} of {s['n']} fresh scores overwritten by the full run's older computation"
                    if key == "fresh_busy" and w["overwritten"]
                    else ""
                ),
                key=key,
            )
    trivial = next((p.result for p in points if p.key == "trivial" and "rps" in p.result), None)
    for point in points:
        r = point.result
        if point.key == "trivial" or not trivial:
            if point.key == "trivial" and "rps" in r:
                table.add(
                    f"{point.label}: throughput",
                    f"{r['rps']:.1f}/s",
                    "",
                    "",
                    "",
                    None,
                    f"p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms, {r['bytes']} B",
                )
            continue
        if "rps" not in r:
            table.add(f"{point.label}", f"{r.get('status')}", "", "", "", False, "not measured", key=point.key)
            continue
        share = r["rps"] / trivial["rps"]
        p95 = r["p95_ms"] / 1000 if r["p95_ms"] is not None else None
        notes = (
            f"p50 {secs(r['p50_ms'] / 1000) if r['p50_ms'] is not None else '-'}, {r['bytes'] / 1e6:.2f} MB, "
            f"{r['requests']} req, single request {secs(r['first_s'])}"
            + (f", {r['failures']} failed (answered req/s only)" if r["failures"] else "")
            + ("" if r["status"] == 200 else f", warm-up: {r['status'] or 'connection closed'}")
        )
        table.add(
            f"{point.label}: throughput",
            f"{r['rps']:.1f}/s",
            f"{trivial['rps']:.1f}/s",
            f"{share:.3f}",
            ">= 0.3",
            share >= 0.3,
            notes,
            key=point.key,
        )
        table.add(
            f"{point.label}: p95",
            secs(p95) if p95 is not None else f"> {load_seconds} s (none completed)",
            secs(trivial["p95_ms"] / 1000),
            f"{r['p95_ms'] / max(trivial['p95_ms'], 1):.0f}x" if p95 is not None else "",
            "<= 300 ms",
            p95 is not None and p95 <= 0.3,
            "",
            key=point.key,
        )
    if trivial:
        peak = max(p.result.get("web_peak_mib", 0) for p in points)
        worst = max(points, key=lambda p: p.result.get("web_peak_mib", 0))
        table.add(
            "web peak RSS (one gunicorn worker)",
            f"{peak:.0f} MiB",
            f"/healthz {trivial['web_peak_mib']:.0f} MiB",
            f"{peak / trivial['web_peak_mib']:.1f}x",
            "",
            None,
            f"during {worst.key}",
        )

    # --- Profiles of the missed targets -------------------------------------------------------------------------
    missed = set(table.missed)
    if missed & {"recompute_small", "recompute_large", "recompute_growth"}:
        lines = []
        for key, n in (("small", small), ("large", scale)):
            r = results.get(key)
            if not r:
                continue
            lines.append(
                f"at {n:,} projects: {secs(r['seconds'])} (floor {secs(r['floor'])}; write floor: "
                f"{r['write_floor_rows']:,} snapshot rows copied in {secs(r['write_floor'])}), {r['queries']} queries"
            )
            for phase, wall in sorted(r["phases"].items(), key=lambda kv: -kv[1]):
                if phase != "total":
                    lines.append(f"    {phase:<22} {secs(wall):>9}  (SQL {secs(r['phase_sql'].get(phase, 0))})")
            accounted = sum(v for k, v in r["phases"].items() if k != "total")
            lines.append(
                f"    {'rest':<22} {secs(r['seconds'] - accounted):>9}  (SQL {secs(r['phase_sql'].get('other', 0))})"
            )
        profiles["Full recompute: where the time goes (wall time per phase, SQL part in brackets)"] = lines
    if w and ({"fresh_busy", "fresh_idle"} & missed):
        waits = w["lock_waits"]
        profiles["Edit -> fresh score during a full run: lock waits (pg_stat_activity, sampled every ~50 ms)"] = [
            f"    {count:5d} samples  {what}" for what, count in waits.most_common(8)
        ] or ["    no lock waits sampled"]
    for point in points:
        if point.key in missed:
            log(f"profiling {point.label} in-process")
            try:
                profiles[f"Profile: {point.label}"] = web.profile_request(point)
            except Exception as error:  # a profile is an explanation: never let it lose the table
                profiles[f"Profile: {point.label}"] = [f"    not profiled: {type(error).__name__}: {error}"]

    print()
    load = os.getloadavg()
    print(
        f"make bench: {scale:,} projects (small scale {small:,}), {time.strftime('%Y-%m-%d %H:%M %Z')}, "
        f"{(time.perf_counter() - STARTED) / 60:.1f} minutes so far, load average now {load[0]:.1f} / 15 min "
        f"{load[2]:.1f}"
    )
    print(table.render())
    for title, lines in profiles.items():
        print()
        print(title)
        for line in lines:
            print(line)


if __name__ == "__main__":
    main()
