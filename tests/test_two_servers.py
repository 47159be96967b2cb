"""Beyond one machine: two real web servers, two Celery workers and a beat on one database and one Redis.

Each process is what production runs (gunicorn, ``celery worker`` with a prefork pool, ``celery beat``), started
by the test on loopback ports of its own against the test database and a Redis of the test's own. What a user or
an operator would notice if any state lived in one process:

- sessions: logged in on server A, the same cookie works on server B; logged out on B, it is over on A;
- cache: a chart cached by A is served by B from the shared cache; an edit on A makes B draw the new chart, and
  the API token rate limit counts requests to both servers together;
- locks: a full recompute sent twice at once to the two workers runs once (the other skips on the advisory lock);
  every project ends with exactly one snapshot per lens and bucket;
- periodic jobs: a beat firing the weekly digest every 1.5 s and dispatches by hand, consumed by both workers,
  send one digest per recipient and week (``PeriodicRun``);
- lockouts: failed logins on A and on B add up to django-axes's limit (its attempts live in PostgreSQL).

See docs/operations.md, "Beyond one machine".
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager

import pytest
import redis
import requests
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from cmo_portal.celery import app as celery_app
from metrics.locks import ALL_PROJECTS_LOCK
from metrics.periodic_runs.models import PeriodicRun
from metrics.periodic_runs.services import WEEKLY_DIGEST, iso_week_start
from metrics.scores.models import ScoreLens, ScoreSnapshot, ScoringPolicy
from metrics.scores.services import bucket_of
from projects.models import Milestone, Project, ProjectStatus
from tests.clients.factories import PASSWORD
from tests.conftest import second_connection
from tests.projects.factories import ProjectFactory
from tests.test_faults import own_redis  # noqa: F401 -- the fixture: a Redis of this test's own, broker and cache
from tests.test_worker_faults import (
    STARTS_WITHIN,
    CeleryProcess,
    mails_written,
    messages_waiting,
    task_ids,
    wait_until,
    worker_arguments,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]  # the processes read committed rows

RECOMPUTE_ALL = "metrics.tasks.recompute_all_scores"
RECOMPUTE_ONE = "metrics.tasks.recompute_project_scores"
DIGEST = "metrics.tasks.send_weekly_digest"
DIGEST_EVERY = 1.5  # seconds between the beat's dispatches of the weekly digest (production: Monday 07:00)
TOKEN_THROTTLE = 6  # token requests per minute and client address, for the web servers (production: 20)
EXTRA_PROJECTS = 20
HTTP_TIMEOUT = 15  # seconds for one request to a server on 2 busy cores


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class WebServer(CeleryProcess):
    """``gunicorn cmo_portal.wsgi:application`` on a loopback port of its own, in a process group of its own
    (``stop``: SIGQUIT, gunicorn's quick shutdown, then SIGKILL to what is left of the group)."""

    def __init__(self, name: str, env: dict[str, str], folder):
        super().__init__(name, [], env, folder)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> "WebServer":
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "cmo_portal.wsgi:application"]
                + ["--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--access-logfile", "-"],
                env=self.env,
                cwd=settings.BASE_DIR,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited ({self.process.returncode}):\n{self.log()[-3000:]}")
        try:
            return requests.get(f"{self.url}/readyz", timeout=5).status_code == 200  # database and broker reachable
        except (requests.ConnectionError, requests.Timeout):
            return False


class Cluster:
    """The processes of the test; beat starts when a part of the test needs it."""

    def __init__(self, env: dict[str, str], folder):
        self.env, self.folder = env, folder
        self.mail_dir = folder / "mail"
        self.started: list[CeleryProcess] = []

    def add(self, process: CeleryProcess) -> CeleryProcess:
        self.started.append(process)
        return process.start()

    def web(self, name: str) -> WebServer:
        return self.add(WebServer(name, self.env, self.folder))

    def celery(self, name: str, arguments: list[str], **extra_env: str) -> CeleryProcess:
        return self.add(CeleryProcess(name, arguments, self.env | extra_env, self.folder))


@pytest.fixture
def cluster(own_redis, tmp_path):  # noqa: F811
    """Processes on this test's Redis (broker, results and cache, one key prefix), queue and database."""
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "cmo_portal.settings.test",
        "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "CMO_TEST_DATABASE_NAME": connection.settings_dict["NAME"],
        "REDIS_URL": own_redis.url,
        "CMO_TEST_CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],  # this process's too
        "CMO_TEST_EMAIL_DIR": str(tmp_path / "mail"),
        "API_TOKEN_THROTTLE": f"{TOKEN_THROTTLE}/min",
    }
    running = Cluster(env, tmp_path)
    try:
        yield running
    finally:
        for process in running.started:  # each by its own handle: a quick shutdown for all at once, then the rest
            if process.process.poll() is None:
                process.process.send_signal(signal.SIGQUIT)
        for process in reversed(running.started):
            process.stop()


# --- helpers --------------------------------------------------------------------------------------------------


def login_form_token(browser: requests.Session, server: WebServer) -> str:
    page = browser.get(f"{server.url}/accounts/login/", timeout=HTTP_TIMEOUT)
    assert page.status_code == 200
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def log_in(browser: requests.Session, server: WebServer, username: str, password: str) -> requests.Response:
    """A real login: the form's page (CSRF cookie and token), then the POST."""
    return browser.post(
        f"{server.url}/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": login_form_token(browser, server)},
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )


def same_cookies(browser: requests.Session) -> requests.Session:
    """A second browser holding the first one's cookies (what a load balancer's next request carries)."""
    other = requests.Session()
    for cookie in browser.cookies:
        other.cookies.set(cookie.name, cookie.value, domain=cookie.domain, path=cookie.path)
    return other


def post_form(browser: requests.Session, url: str, data: dict) -> requests.Response:
    data = data | {"csrfmiddlewaretoken": browser.cookies["csrftoken"]}
    return browser.post(url, data=data, allow_redirects=False, timeout=HTTP_TIMEOUT)


def get(browser: requests.Session, url: str) -> requests.Response:
    return browser.get(url, allow_redirects=False, timeout=HTTP_TIMEOUT)


@contextmanager
def row_locked(model, pk: int):
    """Hold ``SELECT … FOR UPDATE`` on one row from another session: a recompute that reaches it waits."""
    other = second_connection()
    try:
        with other.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {model._meta.db_table} WHERE id = %s FOR UPDATE", [pk])
        yield
    finally:
        other.rollback()
        other.close()


def advisory_lock_holders(key: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = %s "
            "AND objsubid = 1 AND granted AND database = (SELECT oid FROM pg_database WHERE datname = "
            "current_database())",
            [key],
        )
        return cursor.fetchone()[0]


# --- the test -------------------------------------------------------------------------------------------------


def test_two_web_servers_two_workers_and_a_beat_share_sessions_cache_locks_periodic_claims_and_lockouts(
    world,
    cluster,
    own_redis,  # noqa: F811
):
    began = time.monotonic()
    # Given: two web servers and two workers (one pool process each, prefork as in production), all started at once.
    a, b = cluster.web("web-a"), cluster.web("web-b")
    workers = [cluster.celery(name, worker_arguments(name, 1)) for name in ("worker-1", "worker-2")]
    for server in (a, b):
        wait_until(server.ready, within=STARTS_WITHIN, what=f"{server.name} ready:\n{server.log()[-3000:]}", poll=0.2)
    for worker in workers:
        worker.wait_for("ready.")
    started = time.monotonic()
    projects_url = "/projects/"

    # --- Sessions: logged in on A, the same cookie works on B; logged out on B, it is over on A. ---------------
    on_a = requests.Session()
    login = log_in(on_a, a, "pm", PASSWORD)
    assert (login.status_code, login.headers["Location"]) == (302, "/")
    session_key = on_a.cookies["sessionid"]
    assert Session.objects.filter(session_key=session_key).exists()  # in PostgreSQL
    on_b = same_cookies(on_a)
    page = get(on_b, b.url + projects_url)
    assert page.status_code == 200
    assert world.project_a.name in page.text
    assert get(requests.Session(), b.url + projects_url).status_code == 302  # B does not let anyone in
    logout = post_form(on_b, f"{b.url}/accounts/logout/", {})
    assert logout.status_code == 302
    after = get(on_a, a.url + projects_url)
    assert (after.status_code, after.headers["Location"]) == (302, f"/accounts/login/?next={projects_url}")
    assert not Session.objects.filter(session_key=session_key).exists()
    assert '"POST /accounts/login/' in a.log()
    assert '"POST /accounts/logout/' in b.log()

    # --- Locks: a full recompute sent twice at once to the two workers runs once. ------------------------------
    ProjectFactory.create_batch(EXTRA_PROJECTS, client=world.client_a, manager=world.pm)
    active = set(Project.objects.filter(status=ProjectStatus.ACTIVE).values_list("pk", flat=True))
    Project.objects.update(scores_stale=True)
    ScoringPolicy.objects.current()
    assert not ScoreSnapshot.objects.exists()
    at = timezone.now()
    # The first run to take the lock waits on a row held by the test, so the second surely comes while it holds it.
    with row_locked(Project, min(active)):
        runs = [celery_app.send_task(RECOMPUTE_ALL, args=[at.isoformat()]) for _ in range(2)]
        skipped = wait_until(
            lambda: next((run for run in runs if run.ready()), None), within=STARTS_WITHIN, what="one run skipping"
        )
        assert skipped.get() == 0
        assert advisory_lock_holders(ALL_PROJECTS_LOCK) == 1  # the other run holds the lock, waiting on the row
        assert not ScoreSnapshot.objects.exists()
    (running,) = [run for run in runs if run is not skipped]
    assert running.get(timeout=STARTS_WITHIN) == len(active)
    received = [task_ids(worker.log(), RECOMPUTE_ALL, "received") for worker in workers]
    assert sorted(received) == sorted([[runs[0].id], [runs[1].id]])  # one message to each worker
    skips = [worker.log().count("Another recompute of all projects is running; skipping.") for worker in workers]
    assert sorted(skips) == [0, 1]
    per_bucket = Counter(ScoreSnapshot.objects.values_list("project_id", "lens", "bucket"))
    assert set(per_bucket.values()) == {1}
    assert set(per_bucket) == {(pk, lens, bucket_of(at)) for pk in active for lens in ScoreLens.values}
    assert not Project.objects.filter(scores_stale=True).exists()
    assert advisory_lock_holders(ALL_PROJECTS_LOCK) == 0  # released

    # --- Cache: a chart cached by B is served by A; an edit on A makes B draw the new one. --------------------
    project = world.project_a
    scores_url = f"/projects/{project.pk}/scores/"
    on_b = requests.Session()
    assert log_in(on_b, b, "pm", PASSWORD).status_code == 302
    on_a = same_cookies(on_b)
    shared = redis.Redis(port=own_redis.port)
    prefix = f"{settings.CACHES['default']['KEY_PREFIX']}:1:"

    def chart_keys() -> set[str]:
        return {key.decode().removeprefix(prefix) for key in shared.scan_iter(f"{prefix}chart:trend:{project.pk}:*")}

    assert chart_keys() == set()
    drawn_by_b = get(on_b, b.url + scores_url)
    assert drawn_by_b.status_code == 200
    (chart_key,) = chart_keys()
    chart = cache.get(chart_key)
    assert chart.startswith("<?xml") or "<svg" in chart
    assert chart.split("<svg", 1)[1] in drawn_by_b.text
    marker = "<!-- from the shared cache -->"
    cache.set(chart_key, chart.replace("<svg", marker + "<svg", 1), 60 * 60)
    served_by_a = get(on_a, a.url + scores_url)
    assert served_by_a.status_code == 200
    assert marker in served_by_a.text  # A did not draw its own: it read what B cached
    assert chart_keys() == {chart_key}

    # When: the project manager records on A that both milestones were done on their baseline date (or today, if
    # that is still ahead); after each edit a worker recomputes the project, queued by A's commit.
    before = ScoreSnapshot.objects.get(project=project, lens=ScoreLens.CMO)
    for milestone in Milestone.objects.filter(project=project).order_by("sequence"):
        done_on = min(milestone.baseline_date, timezone.now().date())
        edited_at = timezone.now()
        edit = post_form(
            on_a,
            f"{a.url}/milestones/{milestone.pk}/edit/",
            {
                f"m{milestone.pk}-version": milestone.version,
                f"m{milestone.pk}-forecast_date": done_on.isoformat(),
                f"m{milestone.pk}-percent_complete": "100",
                f"m{milestone.pk}-actual_date": done_on.isoformat(),
                f"m{milestone.pk}-reason": "Released by QA",
                f"m{milestone.pk}-override_reason": "",
            },
        )
        assert (edit.status_code, edit.headers.get("Location")) == (302, f"/projects/{project.pk}/"), edit.text[-2000:]
        wait_until(
            lambda edited_at=edited_at: (
                not Project.objects.filter(pk=project.pk, scores_stale=True).exists()
                and ScoreSnapshot.objects.filter(project=project, computed_at__gt=edited_at).exists()
            ),
            within=STARTS_WITHIN,
            what="a worker recomputing the edited project",
            poll=0.2,
        )
    after = ScoreSnapshot.objects.filter(project=project, lens=ScoreLens.CMO).latest("computed_at")
    assert (after.risk_score, after.tradeoff_score) != (before.risk_score, before.tradeoff_score)  # a new point
    assert any(task_ids(worker.log(), RECOMPUTE_ONE, "succeeded") for worker in workers)
    # Then: B draws (and caches) the chart of the new data; the old entry is no longer what anyone is served.
    redrawn = get(on_b, b.url + scores_url)
    assert redrawn.status_code == 200
    assert marker not in redrawn.text
    (new_key,) = chart_keys() - {chart_key}
    assert cache.get(new_key).split("<svg", 1)[1] in redrawn.text
    assert marker not in get(on_a, a.url + scores_url).text

    # The API token rate limit (a cache window) counts the requests to both servers together.
    token_answers = [
        requests.post(
            f"{(a, b)[i % 2].url}/api/v1/auth/token/",
            json={"username": "lead", "password": PASSWORD},
            timeout=HTTP_TIMEOUT,
        ).status_code
        for i in range(TOKEN_THROTTLE + 2)
    ]
    assert token_answers == [200] * TOKEN_THROTTLE + [429, 429]

    # --- Periodic jobs: a beat and dispatches by hand, both workers consuming: one digest per week. -------------
    week_before = iso_week_start(timezone.now())
    by_hand = [celery_app.send_task(DIGEST) for _ in range(2)]  # at once: one per worker, the claims race
    beat = cluster.celery(
        "beat",
        ["beat", "--loglevel=INFO", "--schedule", str(cluster.folder / "beat-schedule")],
        CMO_TEST_BEAT_DIGEST_EVERY=str(DIGEST_EVERY),
    )

    def fired() -> int:
        return beat.log().count(f"Sending due task weekly-digest ({DIGEST})")

    def digests_run(worker) -> list[str]:
        return task_ids(worker.log(), DIGEST, "succeeded")

    wait_until(
        lambda: fired() >= 3 and all(digests_run(worker) for worker in workers),
        within=STARTS_WITHIN,
        what="three firings of the beat and a digest run by each worker",
        poll=0.2,
    )
    beat.stop()
    broker = redis.Redis(port=own_redis.port)

    def every_dispatch_ran() -> bool:
        received = [i for worker in workers for i in task_ids(worker.log(), DIGEST, "received")]
        return not messages_waiting(broker) and sorted(received) == sorted(sum(map(digests_run, workers), []))

    wait_until(every_dispatch_ran, within=STARTS_WITHIN, what="the workers running every dispatch", poll=0.2)
    ran = sum(map(digests_run, workers), [])
    assert {result.id for result in by_hand} <= set(ran)
    assert len(ran) >= 3 + len(by_hand) - 1  # a beat stopped while it publishes may lose its last firing
    weeks = {week_before, iso_week_start(timezone.now())}  # two if the test ran across Monday 00:00 UTC
    assert set(PeriodicRun.objects.filter(job=WEEKLY_DIGEST).values_list("period_start", flat=True)) == weeks
    recipients = {
        user.email for user in (world.leadership, world.viewer_a, world.approver_a, world.viewer_b, world.approver_b)
    }
    digests = [m for m in mails_written(cluster.mail_dir) if m["Subject"] == "[CMO Portal] Weekly digest"]
    assert Counter(m["To"] for m in digests) == {address: len(weeks) for address in recipients}
    senders = [
        worker.name
        for worker in workers
        for count in re.findall(rf"Task {re.escape(DIGEST)}\[[0-9a-f-]+\] succeeded in [0-9.]+s: (\w+)", worker.log())
        if count != "None"
    ]
    assert len(senders) == len(weeks)  # every other run found the week claimed (or the lock taken) and sent nothing

    # --- Lockouts: failed logins on A and on B add up to django-axes's limit. ----------------------------------
    limit = settings.AXES_FAILURE_LIMIT
    browsers = {a: requests.Session(), b: requests.Session()}
    tokens = {server: login_form_token(browser, server) for server, browser in browsers.items()}

    def attempt(server: WebServer, password: str) -> requests.Response:
        return browsers[server].post(
            f"{server.url}/accounts/login/",
            data={"username": "viewer_a", "password": password, "csrfmiddlewaretoken": tokens[server]},
            allow_redirects=False,
            timeout=HTTP_TIMEOUT,
        )

    failed = Counter()
    for i in range(limit - 1):
        server = (a, b)[i % 2]
        assert attempt(server, "wrong-password").status_code == 200  # the form again, with its error
        failed[server.name] += 1
    assert max(failed.values()) < limit - 1  # neither server alone came near the limit
    assert sum(AccessAttempt.objects.filter(username="viewer_a").values_list("failures_since_start", flat=True)) == (
        limit - 1
    )
    assert attempt(b, "wrong-password").status_code == 429  # the limit-th failure, on B, locks the account
    locked = attempt(a, PASSWORD)  # the right password on A is refused
    assert locked.status_code == 429
    assert "sessionid" not in browsers[a].cookies
    assert "sessionid" not in browsers[b].cookies

    for process in cluster.started:
        assert "Traceback" not in process.log(), f"{process.name}:\n{process.log()[-3000:]}"
        assert '" 500 ' not in process.log()
    print(
        f"\ntwo servers: processes ready in {started - began:.1f} s, all parts in {time.monotonic() - began:.1f} s; "
        f"recompute of {len(active)} projects ran once ({skips} skips per worker); digest dispatches run "
        f"{Counter(w.name for w in workers for _ in digests_run(w))}, one sent per week by {senders}; "
        f"axes failures by server {dict(failed)} + 1 locked the account"
    )
