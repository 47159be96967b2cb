"""Pages and endpoints under load: gunicorn (2 sync workers) on loopback, locust headless with 16 users.

Each URL gets a fresh gunicorn (so one URL's backlog of slow requests never leaks into the next, and each has its
own peak memory), two warm-up requests (one per worker), then a bounded locust run. The trivial view
(``/healthz``) is measured the same way and is every page's baseline.
"""

import cProfile
import csv
import io
import pstats
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench import processes

USERS = 16


@dataclass
class Endpoint:
    key: str
    label: str
    path: str
    username: str | None = None
    cookie: str = ""
    result: dict = field(default_factory=dict)


def endpoints(project_pk: int, pm: str, approver: str, leadership: str) -> list[Endpoint]:
    return [
        Endpoint("trivial", "trivial view /healthz", "/healthz"),
        Endpoint("dashboard", "client dashboard (big client's approver)", "/dashboard/", approver),
        Endpoint("project", "project page (its PM)", f"/projects/{project_pk}/", pm),
        Endpoint("projects", "project list /projects/ (leadership)", "/projects/", leadership),
        Endpoint("portfolio", "portfolio report /portfolio/ (leadership)", "/portfolio/", leadership),
        Endpoint("api_projects", "/api/v1/projects/ (leadership)", "/api/v1/projects/", leadership),
        Endpoint("api_scores", "/api/v1/scores/ (leadership)", "/api/v1/scores/", leadership),
        Endpoint("api_milestones", "/api/v1/milestones/ (big client's approver)", "/api/v1/milestones/", approver),
    ]


def login_cookies(points: list[Endpoint]) -> None:
    """A real session per user, made by Django's login (the bench users have no password)."""
    from django.conf import settings
    from django.test import Client as HttpClient

    from clients.models import User

    cookies: dict[str, str] = {}
    for point in points:
        if point.username and point.username not in cookies:
            http = HttpClient()
            http.force_login(User.objects.get(username=point.username))
            cookies[point.username] = (
                f"{settings.SESSION_COOKIE_NAME}={http.cookies[settings.SESSION_COOKIE_NAME].value}"
            )
        point.cookie = cookies.get(point.username or "", "")


def _get(url: str, cookie: str) -> tuple[int, int, float]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310 -- loopback
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=180) as response:  # noqa: S310
            body = response.read()
            return response.status, len(body), time.perf_counter() - start
    except urllib.error.HTTPError as error:
        return error.code, len(error.read()), time.perf_counter() - start
    except OSError:  # e.g. gunicorn killed the worker at its timeout and closed the connection
        return 0, 0, time.perf_counter() - start


def _locust(base: str, point: Endpoint, seconds: int, out: Path) -> dict:
    prefix = out / f"locust-{point.key}"
    env = processes.service_env("unused") | {"BENCH_PATH": point.path, "BENCH_COOKIE": point.cookie}
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(Path(__file__).with_name("locustfile.py")),
        "--headless",
        "--users",
        str(USERS),
        "--spawn-rate",
        str(USERS),
        "--run-time",
        f"{seconds}s",
        "--host",
        base,
        "--csv",
        str(prefix),
        "--only-summary",
        "--exit-code-on-error",
        "0",
        "--loglevel",
        "WARNING",
    ]
    with (out / f"locust-{point.key}.log").open("w") as log:
        subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=seconds + 120, check=True)
    with open(f"{prefix}_stats.csv") as handle:
        row = next((r for r in csv.DictReader(handle) if r["Name"] == "page"), None)
    if row is None:  # not one request answered (nor failed) within the run
        return {"requests": 0, "failures": 0, "rps": 0.0, "p50_ms": None, "p95_ms": None, "size": 0.0}
    completed = int(row["Request Count"])
    failures = int(row["Failure Count"])
    return {
        "requests": completed,
        "failures": failures,
        "rps": float(row["Requests/s"]) * (completed - failures) / completed if completed else 0.0,  # answered
        "p50_ms": float(row["50%"]) if completed > failures else None,  # None: no request answered in the run
        "p95_ms": float(row["95%"]) if completed > failures else None,
        "size": float(row["Average Content Size"]),
    }


def load(point: Endpoint, database: str, seconds: int, out: Path, log=print) -> dict:
    server, base = processes.start_gunicorn(database, out, point.key)
    try:
        with ThreadPoolExecutor(2) as pool:  # one warm-up request per gunicorn worker
            warm = list(pool.map(lambda _: _get(base + point.path, point.cookie), range(2)))
        status, size, first = warm[0]
        if status == 200:  # one more, alone and warm: the time of a single request without contention
            status, size, first = _get(base + point.path, point.cookie)
        result = {"status": status, "bytes": size, "first_s": first}
        if status != 200:
            log(f"    {point.label}: warm-up answered {status or 'nothing (connection closed)'} after {first:.1f} s")
        result |= _locust(base, point, seconds, out)
        result["web_peak_mib"] = processes.peak_rss_mib(server.pid)
    finally:
        processes.stop(server, signal.SIGINT)
    result.setdefault("web_peak_mib", 0.0)
    log(
        f"    {point.label}: {result['rps']:.1f} req/s, p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, "
        f"{result['bytes'] / 1e6:.2f} MB, {result['requests']} requests ({result['failures']} failed), "
        f"single request {result['first_s']:.2f} s, web peak {result['web_peak_mib']:.0f} MiB"
    )
    return result


def profile_request(point: Endpoint) -> list[str]:
    """Where one request's time goes, in-process (Django's test client): total, SQL, own time of the top
    functions (cProfile), and the plan of its slowest statement (EXPLAIN ANALYZE)."""
    from django.db import connection
    from django.test import Client as HttpClient

    from bench.recompute import PhaseTimer
    from clients.models import User

    http = HttpClient()
    if point.username:
        http.force_login(User.objects.get(username=point.username))
    statements: list[tuple[float, str, object]] = []
    timer = PhaseTimer()

    def keep(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return timer(execute, sql, params, many, context)
        finally:
            statements.append((time.perf_counter() - start, sql, params))

    def plain_request():
        statements.clear()
        with connection.execute_wrapper(keep):
            start = time.perf_counter()
            response = http.get(point.path)
            return response, time.perf_counter() - start, sum(s for s, _, _ in statements)

    plain, plain_total, plain_sql = plain_request()  # unprofiled: the time without cProfile
    if plain_total < 5:  # the first request paid imports and template compilation: time a second one
        plain, plain_total, plain_sql = plain_request()
    statements.clear()
    profiler = cProfile.Profile()
    with connection.execute_wrapper(keep):
        start = time.perf_counter()
        profiler.enable()
        response = http.get(point.path)
        profiler.disable()
        total = time.perf_counter() - start
    sql = sum(s for s, _, _ in statements)
    lines = [
        f"{point.label}: in-process (Django test client) {plain_total:.2f} s of which SQL {plain_sql:.2f} s, "
        f"HTTP {plain.status_code}; "
        f"under cProfile {total:.2f} s, HTTP {response.status_code}, "
        f"{len(response.content) / 1e6:.2f} MB; SQL {len(statements)} queries, {sql:.2f} s "
        f"({100 * sql / total:.0f} %); Python {total - sql:.2f} s"
    ]
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    rows = []
    for (filename, line, name), (_cc, _nc, tottime, cumtime, _callers) in stats.stats.items():
        rows.append((tottime, cumtime, _short(filename), line, name))
    lines.append("  own time (tottime) of the top functions:")
    for tottime, cumtime, filename, line, name in sorted(rows, reverse=True)[:8]:
        lines.append(f"    {tottime:6.2f} s own, {cumtime:6.2f} s cum  {filename}:{line} {name}")
    lines.append("  cumulative time of the request's stages:")
    for label, needles in STAGES.items():
        cum = max((r[1] for r in rows if any(n == (r[2], r[4]) for n in needles)), default=None)
        if cum is not None:
            lines.append(f"    {cum:6.2f} s  {label}")
    if statements:
        seconds, slowest, params = max(statements, key=lambda s: s[0])
        lines.append(f"  slowest statement ({seconds:.3f} s): {' '.join(slowest.split())[:160]}")
        lines += ["    " + plan for plan in explain(slowest, params)[:8]]
    return lines


STAGES = {
    "template rendering": [("django/template/base.py", "render")],
    "DRF serialization (to_representation)": [("rest_framework/serializers.py", "to_representation")],
    "JSON rendering": [("rest_framework/renderers.py", "render")],
    "pghistory context injection (incl. the SQL it wraps)": [("pghistory/runtime.py", "_inject_history_context")],
}


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/work/main/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename.rsplit("/", 2)[-1] if "/" in filename else filename


def explain(sql: str, params) -> list[str]:
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, TIMING ON) " + sql, params)
            return [row[0] for row in cursor.fetchall()]
    except Exception as error:  # a plan is a hint, not a measurement: never let it stop the report
        return [f"(no plan: {type(error).__name__})"]
