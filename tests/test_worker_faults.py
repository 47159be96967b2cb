"""Worker faults with real processes: Celery workers and beats started by the test, on a Redis of its own.

- A worker killed with SIGKILL (its whole process group) in the middle of a full recompute: nothing of the run is
  committed, a restarted worker gets the message back after the visibility timeout and completes the work, and
  every project ends with exactly one snapshot per lens.
- Two beats firing the weekly digest every two seconds, and dispatches by hand besides: one digest per recipient
  for the week.
- A poisoned e-mail among pending ones, swept by a real worker three times: every good mail goes out once.

The broker's timing is scaled down for the test (``CMO_TEST_VISIBILITY_TIMEOUT``, cmo_portal/settings/test.py);
production's figures and why they mean "within minutes" are in docs/operations.md, "Killed tasks".
"""

import datetime as dt
import email
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from email import policy

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from clients.models import Client, Role, User
from cmo_portal.celery import app as celery_app
from metrics.periodic_runs.models import PeriodicRun
from metrics.periodic_runs.services import WEEKLY_DIGEST, iso_week_start
from metrics.scores.models import ScoreLens, ScoreSnapshot, ScoringPolicy
from metrics.scores.services import BATCH_SIZE
from projects.issues import services as issue_services
from projects.models import Batch, CostEntry, Milestone, Notification, Project, ProjectStatus, QualityEvent, Risk
from projects.notifications.services import MAX_EMAIL_ATTEMPTS, email_subject, notify
from tests.test_faults import own_redis  # noqa: F401 -- the fixture: a Redis of this test's own, broker and cache

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]  # the processes read committed rows

STARTS_WITHIN = 60  # seconds for a worker or beat to start on 2 busy cores
VISIBILITY_TIMEOUT = 12  # seconds, for the test's workers (production: 600); well above the recompute's ~3 s here
REDONE_WITHIN = 90  # seconds after the restart: the issue's "within minutes", scaled like the visibility timeout
PROJECTS = 700  # two batches of 500: the kill lands after the first batch's upsert, before the commit
DIGEST_EVERY = 2.0  # seconds between a beat's dispatches of the weekly digest (production: Monday 07:00)


def wait_until(condition, *, within: float, what: str, poll: float = 0.05):
    deadline = time.monotonic() + within
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        time.sleep(poll)
    return value


class CeleryProcess:
    """``celery -A cmo_portal …`` as production runs it, in a process group of its own, logging to a file."""

    def __init__(self, name: str, arguments: list[str], env: dict[str, str], folder):
        self.name, self.arguments, self.env = name, arguments, env
        self.log_path = folder / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> "CeleryProcess":
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "cmo_portal", *self.arguments],
                env=self.env,
                cwd=settings.BASE_DIR,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: SIGKILL reaches the pool processes too
            )
        return self

    def log(self) -> str:
        return self.log_path.read_text()

    def wait_for(self, text: str, *, within: float = STARTS_WITHIN) -> None:
        def seen() -> bool:
            if text in self.log():
                return True
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited ({self.process.returncode}):\n{self.log()[-3000:]}")
            return False

        wait_until(seen, within=within, what=f"{text!r} in the log of {self.name}:\n{self.log()[-3000:]}")

    def kill_group(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # cold shutdown: the test is over, nothing waits
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # whatever is left of this group (pool processes)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)


@pytest.fixture
def start(own_redis, tmp_path):  # noqa: F811
    """``start(name, arguments, **env)``: a Celery process on this test's Redis, queue and database; stopped after."""
    started: list[CeleryProcess] = []

    def start_process(name: str, arguments: list[str], **extra_env: str) -> CeleryProcess:
        env = os.environ | {
            "DJANGO_SETTINGS_MODULE": "cmo_portal.settings.test",
            "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
            "CMO_TEST_DATABASE_NAME": connection.settings_dict["NAME"],
            "REDIS_URL": own_redis.url,
            **extra_env,
        }
        process = CeleryProcess(name, arguments, env, tmp_path).start()
        started.append(process)
        return process

    yield start_process
    for process in reversed(started):
        process.stop()


@pytest.fixture(autouse=True)
def _binaries_present():
    if not (shutil.which("redis-server") or os.path.exists("/usr/bin/redis-server")):
        pytest.fail(
            "redis-server is not installed: the worker fault tests need a real Redis (apt install redis-server)"
        )


def worker_arguments(name: str, concurrency: int) -> list[str]:
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    return [
        "worker",
        "-Q",
        queue,
        f"--concurrency={concurrency}",  # prefork, as in production
        "--loglevel=INFO",
        "--without-mingle",
        "--without-gossip",
        "--hostname",
        f"{name}-{queue}@%h",
    ]


def task_ids(log: str, task: str, event: str) -> list[str]:
    return re.findall(rf"Task {re.escape(task)}\[([0-9a-f-]+)\] {event}", log)


def mails_written(folder) -> list[email.message.EmailMessage]:
    """The e-mails the workers' file backend wrote (one file per connection, messages separated by 79 dashes)."""
    if not folder.exists():
        return []
    separator = b"\n" + b"-" * 79 + b"\n"
    return [
        email.message_from_bytes(chunk, policy=policy.default)
        for path in sorted(folder.iterdir())
        for chunk in path.read_bytes().split(separator)
        if chunk.strip()
    ]


# --- 1. A worker killed with SIGKILL in a full recompute ----------------------------------------------------------


RECOMPUTE_ALL = "metrics.tasks.recompute_all_scores"


def troubled(i: int) -> bool:
    """Every tenth project slips 40 days and has a critical deviation open: amber, so the recompute alerts."""
    return i % 10 == 0


def active_portfolio(n: int) -> list[int]:
    """``n`` active projects, each with milestones, costs, batches, a deviation and risks; a tenth in trouble."""
    client = Client.objects.create(slug="killed-worker", name="Killed Worker Pharma")
    pm = User.objects.create(username="killed.worker.pm", role=Role.PROJECT_MANAGER, email="kw.pm@example.com")
    start = timezone.now().date() - dt.timedelta(days=200)
    projects = Project.objects.bulk_create(
        Project(
            client=client,
            code=f"KW-{i:04d}",
            name=f"Project {i}",
            manager=pm,
            status=ProjectStatus.ACTIVE,
            start_date=start,
            target_date=start + dt.timedelta(days=360),
            budget=Decimal(1_000_000 + 1_000 * i),
        )
        for i in range(n)
    )
    records: list = []
    for i, project in enumerate(projects):
        for s in range(1, 7):
            base = start + dt.timedelta(days=60 * s)
            forecast = base + dt.timedelta(days=40 if troubled(i) else (i * s) % 10)
            done = forecast < timezone.now().date()
            records.append(
                Milestone(
                    project=project,
                    sequence=s,
                    name=f"Step {s}",
                    baseline_date=base,
                    forecast_date=forecast,
                    actual_date=forecast if done else None,
                    weight=Decimal("0.1667"),
                    percent_complete=Decimal(100 if done else 30),
                )
            )
        records += [
            CostEntry(
                project=project, date=start + dt.timedelta(days=30 * k), amount=Decimal(90_000), category="labour"
            )
            for k in range(6)
        ]
        records += [
            Batch(project=project, number=f"{project.code}-{k}", planned_date=start + dt.timedelta(days=40 * k))
            for k in range(1, 4)
        ]
        records.append(
            QualityEvent(
                project=project,
                reference=f"DEV-{project.code}",
                title="Deviation",
                kind="deviation",
                severity="critical" if troubled(i) else "minor",
                opened=start,
            )
        )
        records += [Risk(project=project, title=f"Risk {k}", probability=1 + (i + k) % 5, impact=3) for k in range(3)]
    for model in (Milestone, CostEntry, Batch, QualityEvent, Risk):
        model.objects.bulk_create([r for r in records if type(r) is model])
    return [p.pk for p in projects]


def snapshot_writers() -> list[int]:
    """Sessions of other processes whose open transaction has written snapshots (not yet committed)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_locks WHERE relation = %s::regclass AND mode = 'RowExclusiveLock' AND granted "
            "AND pid <> pg_backend_pid()",
            [ScoreSnapshot._meta.db_table],
        )
        return [pid for (pid,) in cursor.fetchall()]


def messages_waiting(broker: redis.Redis) -> list[str]:
    """Ids of the task messages queued or delivered and not yet acknowledged, in this test's Redis."""
    queued = [json.loads(raw) for raw in broker.lrange(settings.CELERY_TASK_DEFAULT_QUEUE, 0, -1)]
    unacked = [json.loads(raw)[0] for raw in broker.hvals("unacked")]
    return [message["headers"]["id"] for message in queued + unacked]


def test_a_worker_killed_in_a_full_recompute_is_redone_after_a_restart_with_one_snapshot_per_project(
    start,
    own_redis,  # noqa: F811
):
    # Given: enough active projects for two batches of the recompute, and a worker.
    assert PROJECTS > BATCH_SIZE
    ids = active_portfolio(PROJECTS)
    ScoringPolicy.objects.current()
    timing = {"CMO_TEST_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}
    first = start("worker-1", worker_arguments("worker-1", 1), **timing)
    first.wait_for("ready.")
    broker = redis.Redis(port=own_redis.port)

    # When: the scheduled recompute runs, and the whole worker is killed after the first batch's snapshots were
    # written.
    result = celery_app.send_task(RECOMPUTE_ALL)
    writer = wait_until(snapshot_writers, within=STARTS_WITHIN, what="the recompute writing its first batch", poll=0.02)
    first.kill_group()
    killed_at, killed = timezone.now(), time.monotonic()
    assert task_ids(first.log(), RECOMPUTE_ALL, "received") == [result.id]
    assert task_ids(first.log(), RECOMPUTE_ALL, "succeeded") == [], "the kill came after the run committed"

    # Then: what the killed run left is whole batches (each batch commits on its own, so that an edit never
    # waits for the full run): a project has both lenses' snapshots and is no longer stale, or has none and is
    # still stale; the batch in progress rolled back. The message waits, unacknowledged, in Redis.
    wait_until(lambda: not set(writer) & set(snapshot_writers()), within=10, what="PostgreSQL rolling back")
    snapped = Counter(ScoreSnapshot.objects.values_list("project_id", flat=True))
    stale = set(Project.objects.filter(pk__in=ids, scores_stale=True).values_list("pk", flat=True))
    assert set(snapped.values()) <= {len(ScoreLens.values)}
    assert not set(snapped) & stale
    assert set(snapped) | stale == set(ids)
    assert len(snapped) % BATCH_SIZE == 0
    assert stale, "the kill came after the last batch"
    assert messages_waiting(broker) == [result.id]

    # When: a worker starts again.
    second = start("worker-2", worker_arguments("worker-2", 1), **timing)
    restarted = time.monotonic()

    # Then: Redis redelivers the message after the visibility timeout and the recompute completes once.
    assert result.get(timeout=REDONE_WITHIN) == PROJECTS
    done = time.monotonic()
    wait_until(lambda: task_ids(second.log(), RECOMPUTE_ALL, "succeeded"), within=10, what="the success logged")
    assert task_ids(second.log(), RECOMPUTE_ALL, "succeeded") == [result.id]  # the same message, run once
    per_project_and_lens = Counter(ScoreSnapshot.objects.values_list("project_id", "lens"))
    assert set(per_project_and_lens) == {(pid, lens) for pid in ids for lens in ScoreLens.values}
    assert set(per_project_and_lens.values()) == {1}  # no duplicate
    assert ScoreSnapshot.objects.count() == 2 * PROJECTS
    assert not ScoreSnapshot.objects.filter(computed_at__lt=killed_at).exists()  # all rewritten by the redone run
    assert not Project.objects.filter(pk__in=ids, scores_stale=True).exists()
    assert result.id not in messages_waiting(broker)  # acknowledged: never delivered a third time
    notified = Counter(Notification.objects.filter(kind="rag_worsened").values_list("recipient", "project"))
    assert set(notified.values()) == {1}  # once per project: a committed batch's alert is not repeated
    (run_seconds,) = re.findall(rf"{re.escape(result.id)}\] succeeded in ([0-9.]+)s", second.log())
    print(
        f"\nkilled worker: {PROJECTS} projects recomputed (a {float(run_seconds):.1f} s run) "
        f"{done - restarted:.1f} s after the restart "
        f"({done - killed:.1f} s after the kill; visibility timeout {VISIBILITY_TIMEOUT} s); "
        f"{ScoreSnapshot.objects.count()} snapshots, 1 per project and lens; {len(notified)} RAG alerts, 1 each"
    )


# --- 2. Two beats and repeated dispatches: one digest per period --------------------------------------------------


DIGEST = "metrics.tasks.send_weekly_digest"


def test_two_beats_and_repeated_dispatches_send_one_digest_per_recipient_and_week(
    world,
    start,
    own_redis,  # noqa: F811
    tmp_path,
):
    # Given: a worker with two pool processes (dispatches run side by side) writing its e-mails to files.
    mail_dir = tmp_path / "mail"
    worker = start("worker", worker_arguments("worker", 2), CMO_TEST_EMAIL_DIR=str(mail_dir))
    worker.wait_for("ready.")
    week_before = iso_week_start(timezone.now())

    # When: two beats fire the digest every two seconds, and it is dispatched twice by hand, 3 s apart.
    beats = [
        start(
            name,
            ["beat", "--loglevel=INFO", "--schedule", str(tmp_path / f"{name}-schedule")],
            CMO_TEST_BEAT_DIGEST_EVERY=str(DIGEST_EVERY),
        )
        for name in ("beat-1", "beat-2")
    ]
    by_hand = [celery_app.send_task(DIGEST)]
    time.sleep(3)
    by_hand.append(celery_app.send_task(DIGEST))

    def fired(beat) -> int:
        return beat.log().count(f"Sending due task weekly-digest ({DIGEST})")

    wait_until(lambda: all(fired(beat) >= 3 for beat in beats), within=STARTS_WITHIN, what="three firings per beat")
    for beat in beats:
        beat.stop()
    broker = redis.Redis(port=own_redis.port)

    def every_dispatch_ran() -> bool:
        log = worker.log()
        received = task_ids(log, DIGEST, "received")
        return not messages_waiting(broker) and sorted(received) == sorted(task_ids(log, DIGEST, "succeeded"))

    wait_until(every_dispatch_ran, within=STARTS_WITHIN, what=f"the worker running every dispatch:\n{worker.log()}")
    ran = task_ids(worker.log(), DIGEST, "succeeded")
    firings = sum(fired(beat) for beat in beats)
    assert {result.id for result in by_hand} <= set(ran)
    # A beat stopped while it publishes may lose that last firing; what reached the broker ran.
    assert firings + len(by_hand) - len(beats) <= len(ran) <= firings + len(by_hand)
    week_after = iso_week_start(timezone.now())

    # Then: each recipient got one digest per week (two if the test ran across Monday 00:00 UTC).
    weeks = {week_before, week_after}
    assert set(PeriodicRun.objects.filter(job=WEEKLY_DIGEST).values_list("period_start", flat=True)) == weeks
    recipients = {
        user.email for user in (world.leadership, world.viewer_a, world.approver_a, world.viewer_b, world.approver_b)
    }
    digests = [m for m in mails_written(mail_dir) if m["Subject"] == "[CMO Portal] Weekly digest"]
    assert Counter(m["To"] for m in digests) == {address: len(weeks) for address in recipients}
    sent_counts = re.findall(rf"Task {re.escape(DIGEST)}\[[0-9a-f-]+\] succeeded in [0-9.]+s: (\w+)", worker.log())
    assert sorted(sent_counts) == sorted([str(len(recipients))] * len(weeks) + ["None"] * (len(ran) - len(weeks)))
    print(
        f"\ntwo beats: {len(ran)} dispatches run ({firings} firings of the beats, {len(by_hand)} by hand), "
        f"{len(digests)} digests to {len(recipients)} recipients"
    )


# --- 3. One poisoned e-mail among pending ones, swept by a real worker ---------------------------------------------


SWEEP = "projects.tasks.send_pending_emails"


def test_a_poisoned_email_is_counted_and_the_worker_sweep_sends_every_other_one_once(
    world,
    start,
    own_redis,  # noqa: F811
    tmp_path,
):
    # Given: pending notifications: a client's issue titled "a\nb", others, and one to an address that cannot be sent.
    poisoned = world.viewer_b
    User.objects.filter(pk=poisoned.pk).update(email="victim@example.com\nBcc: evil@example.com")
    issue_services.issue_raise(actor=world.viewer_a, project=world.project_a, title="a\nb")
    notify(recipients=[world.pm, poisoned, world.approver_a], kind="test", project=world.project_a, text="Hello")
    notify(recipients=[world.leadership], kind="test", project=world.project_b, text="Line one\r\nline two")
    # Their immediate sends were queued after commit; they are dropped, as a Redis restart would: the sweep is left.
    redis.Redis(port=own_redis.port).delete(settings.CELERY_TASK_DEFAULT_QUEUE)
    pending = list(Notification.objects.filter(emailed_at__isnull=True).select_related("recipient"))
    good = [n for n in pending if n.recipient_id != poisoned.pk]
    assert len(good) >= 4
    assert any("a\nb" in n.text for n in good)

    # When: a worker sweeps twice at once (two pool processes), then once more.
    mail_dir = tmp_path / "mail"
    worker = start("worker", worker_arguments("worker", 2), CMO_TEST_EMAIL_DIR=str(mail_dir))
    worker.wait_for("ready.")
    together = [celery_app.send_task(SWEEP), celery_app.send_task(SWEEP)]
    sent = [sweep.get(timeout=STARTS_WITHIN) for sweep in together]
    sent.append(celery_app.send_task(SWEEP).get(timeout=STARTS_WITHIN))

    # Then: every good mail went out exactly once, on one subject line; the poisoned one is counted, never sent.
    assert sum(sent) == len(good)
    written = Counter((m["To"], " ".join(m["Subject"].split())) for m in mails_written(mail_dir))  # unfolded
    assert written == {(n.recipient.email, email_subject(n.text)): 1 for n in good}
    assert any(subject.endswith("a b.") for _, subject in written)
    assert not Notification.objects.filter(pk__in=[n.pk for n in good], emailed_at__isnull=True).exists()
    stuck = Notification.objects.get(recipient=poisoned)
    assert stuck.emailed_at is None
    # Tried by every sweep that found it unlocked: the third, and one or both of the two side by side (the second
    # skips it while the first holds it); retried by later sweeps up to the limit.
    assert 2 <= stuck.email_attempts <= 3 < MAX_EMAIL_ATTEMPTS
    assert "BadHeaderError" in worker.log()
    assert not any("victim" in address for address, _ in written)
    print(
        f"\npoisoned e-mail: sweeps sent {sent}; {len(good)} good mails once each; the poisoned one tried "
        f"{stuck.email_attempts} times, sent 0 times"
    )
