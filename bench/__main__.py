"""``make bench``: figures printed as ratios against a baseline measured in the same run.

Runs against a throw-away test database on the configured server (embedded or DATABASE_URL).
"""

import os
import time
import warnings
from statistics import median


def timed(fn, repeat: int = 3) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return median(samples)


def count_queries(fn) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def bench_recompute() -> None:
    from bench.portfolio import build_portfolio
    from metrics.scores.models import ScoreSnapshot, ScoringPolicy
    from metrics.scores.services import scores_recompute
    from projects.models import Project

    ScoringPolicy.objects.current()
    small = build_portfolio(50, prefix="S")
    per_project_small = timed(lambda: scores_recompute(project_ids=small)) / len(small)
    queries_small = count_queries(lambda: scores_recompute(project_ids=small))
    large = build_portfolio(1000, prefix="L")
    per_project_large = timed(lambda: scores_recompute(project_ids=large)) / len(large)
    queries_large = count_queries(lambda: scores_recompute(project_ids=large))
    sample = large[:100]
    naive = timed(lambda: [scores_recompute(project_ids=[pid]) for pid in sample], repeat=1)
    set_based = timed(lambda: scores_recompute(project_ids=sample))
    print("Score recompute (set-based, one transaction, bulk upsert)")
    ratio = per_project_large / per_project_small
    print(f"  per-project time, 1000 vs 50 projects:        {ratio:5.2f}x  (1.00x = linear)")
    print(
        f"  queries, 1000 vs 50 projects:                  {queries_large} vs {queries_small} "
        f"({queries_large / queries_small:4.2f}x; 2 batches of 500 vs 1)"
    )
    print(f"  100 projects one by one vs in one batch:       {naive / set_based:5.1f}x slower one by one")
    print(f"  snapshots written: {ScoreSnapshot.objects.count()} for {Project.objects.count()} projects")


def bench_pages() -> None:
    from django.test import Client as HttpClient

    from clients.models import Role, User
    from projects.models import Project

    lead, _ = User.objects.get_or_create(username="bench.lead", defaults={"role": Role.LEADERSHIP})
    http = HttpClient()
    http.force_login(lead)
    project = Project.objects.order_by("pk").first()
    pages = {
        "/projects/": "project list",
        f"/projects/{project.pk}/": "project page",
        "/portfolio/": "portfolio",
        "/api/v1/projects/": "API list",
        "/api/v1/scores/": "API scores",
    }
    print("Pages (leadership, whole bench portfolio)")
    for url, label in pages.items():
        queries = count_queries(lambda u=url: http.get(u))
        print(f"  {label:<14} {queries:3d} queries for {Project.objects.count()} projects")


def main() -> None:
    warnings.filterwarnings("ignore", message="No directory at")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cmo_portal.settings.test")
    import django

    django.setup()
    from django.conf import settings
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = "cmo_bench"  # never a test run's database
    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        bench_recompute()
        bench_pages()
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
