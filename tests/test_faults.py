"""Faults: a real Redis (broker and cache) started by the test on its own port, then stopped under the portal.

While it is down every page reads, every write commits and answers within 2 s, and the signing lockout still
counts; when it is back, the scheduled recompute and the e-mail sweep catch up what the broker could not take.
"""

import datetime as dt
import shutil
import socket
import subprocess
import time

import pytest
import redis
from django.core import mail
from django.urls import reverse

from clients.models import SecurityEvent, SecurityEventKind
from cmo_portal.celery import app as celery_app
from core.broker import send_task_safely
from metrics.scores.models import ScoreSnapshot
from metrics.scores.services import scores_recompute
from projects.change_requests import services as change_request_services
from projects.models import ChangeRequest, ChangeRequestStatus, Milestone, Notification, Project, Signature
from projects.notifications.services import send_emails
from tests.clients.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)  # real commits: on_commit enqueues, rollbacks roll back

ANSWER_WITHIN = 2.0  # seconds, with Redis down


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnRedis:
    """A throwaway ``redis-server`` (no persistence) on a port of its own; never the shared one."""

    def __init__(self, port: int):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                if redis.Redis(port=self.port, socket_connect_timeout=0.2).ping():
                    return
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis(settings, monkeypatch):
    """The portal's cache and Celery broker pointed at a Redis of this test's own, configured as in production."""
    server = OwnRedis(_free_port())
    server.start()
    settings.CACHES = {"default": {**settings.REDIS_CACHE, "LOCATION": server.url, "KEY_PREFIX": "faults"}}
    conf = celery_app.conf
    configured = conf.broker_url, conf.result_backend, conf.broker_transport_options
    conf.broker_url = conf.result_backend = server.url  # one Redis is broker, result backend and cache
    conf.broker_transport_options = {
        "visibility_timeout": settings.REDIS_VISIBILITY_TIMEOUT,
        **settings.REDIS_BROKER_SOCKET_TIMEOUTS,
    }
    monkeypatch.setattr(celery_app, "_pool", None)  # drop connection pools to the configured broker
    monkeypatch.setattr(celery_app.amqp, "_producer_pool", None)
    monkeypatch.setattr(celery_app, "_backend_cache", None)  # and the result backend built from the old URL
    monkeypatch.setattr(celery_app._local, "backend", None, raising=False)  # undone: the configured one, or none
    try:
        yield server
    finally:
        server.stop()
        conf.broker_url, conf.result_backend, conf.broker_transport_options = configured


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def latest_snapshot(project) -> ScoreSnapshot:
    return ScoreSnapshot.objects.filter(project=project, lens="cmo").latest("computed_at")


def queued_messages(server: OwnRedis) -> int:
    return redis.Redis(port=server.port).llen(celery_app.conf.task_default_queue)


def test_redis_down_every_page_reads_every_write_commits_and_the_scheduled_runs_catch_up(world, client, own_redis):
    # Given: a submitted change request, scores computed, and the pages visited (charts cached in Redis).
    project, milestone = world.project_a, world.milestone_a
    change = change_request_services.change_request_create(
        actor=world.pm, project=project, title="Add an engineering batch", schedule_impact_days=14
    )
    change_request_services.change_request_submit(actor=world.pm, change=change)
    scores_recompute(project_ids=[project.pk])
    assert queued_messages(own_redis) >= 1  # the broker is really in use: the submit's e-mails wait in Redis
    project_url = reverse("project-detail", kwargs={"pk": project.pk})
    scores_url = reverse("project-scores", kwargs={"pk": project.pk})
    client.force_login(world.leadership)
    assert "<svg" in client.get(reverse("portfolio")).content.decode()
    client.force_login(world.pm)
    assert client.get(project_url).status_code == 200
    assert "<svg" in client.get(scores_url).content.decode()
    snapshot_before = latest_snapshot(project)
    mail.outbox.clear()

    # When: Redis stops (its queue is lost with it: no persistence).
    own_redis.stop()

    # Then: two milestone edits in a row are committed and answer fast (the second one used to hang 19–38 s).
    prefix = f"m{milestone.pk}"
    for version, percent in ((1, 10), (2, 20)):
        response, seconds = timed(
            lambda version=version, percent=percent: client.post(
                reverse("milestone-edit", kwargs={"pk": milestone.pk}),
                {
                    f"{prefix}-version": version,
                    f"{prefix}-forecast_date": milestone.forecast_date.isoformat(),
                    f"{prefix}-percent_complete": str(percent),
                    f"{prefix}-actual_date": "",
                    f"{prefix}-reason": "",
                    f"{prefix}-override_reason": "",
                },
            )
        )
        assert (response.status_code, response.url) == (302, project_url)
        assert seconds < ANSWER_WITHIN, seconds
        assert Milestone.objects.get(pk=milestone.pk).percent_complete == percent
    assert Project.objects.get(pk=project.pk).scores_stale

    # The project page and its scores page render, uncached, and say the scores are being recomputed.
    for url in (project_url, scores_url):
        response, seconds = timed(lambda url=url: client.get(url))
        assert response.status_code == 200
        assert seconds < ANSWER_WITHIN, (url, seconds)
    assert "Recent changes are being recomputed." in client.get(project_url).content.decode()
    assert "<svg" in client.get(scores_url).content.decode()
    client.force_login(world.leadership)
    response, seconds = timed(lambda: client.get(reverse("portfolio")))
    assert response.status_code == 200
    assert "<svg" in response.content.decode()
    assert seconds < ANSWER_WITHIN, seconds

    # A wrong signing password is refused and recorded durably (the lockout no longer lives in Redis) ...
    client.force_login(world.approver_a)
    sign_url = reverse("change-request-detail", kwargs={"pk": change.pk})
    wrong, seconds = timed(
        lambda: client.post(sign_url, {"action": "sign", "decision": "approve", "password": "guess", "comment": ""})
    )
    assert wrong.status_code == 400
    assert "password is not correct" in wrong.content.decode()
    assert seconds < ANSWER_WITHIN, seconds
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.SIGNATURE_FAILED, user=world.approver_a).count() == 1
    # ... and the right one approves: signed, applied, committed, within 2 s.
    forecast_before = Milestone.objects.get(pk=milestone.pk).forecast_date
    response, seconds = timed(
        lambda: client.post(sign_url, {"action": "sign", "decision": "approve", "password": PASSWORD, "comment": ""})
    )
    assert (response.status_code, response.url) == (302, sign_url)
    assert seconds < ANSWER_WITHIN, seconds
    assert ChangeRequest.objects.get(pk=change.pk).status == ChangeRequestStatus.APPROVED
    assert Signature.objects.get(object_id=change.pk).signer == world.approver_a
    assert Milestone.objects.get(pk=milestone.pk).forecast_date == forecast_before + dt.timedelta(days=14)
    assert Project.objects.get(pk=project.pk).scores_stale
    pending = Notification.objects.filter(emailed_at__isnull=True, recipient__email__gt="")
    assert pending.filter(kind="change_request_decided").exists()
    assert mail.outbox == []

    # When: Redis is back (empty), the broker takes work again without a restart of the portal ...
    own_redis.start()
    assert send_task_safely("cmo_portal.ping")
    assert queued_messages(own_redis) == 1

    # ... and the scheduled runs catch up: the stale project is recomputed, every pending e-mail is sent.
    scores_recompute()
    assert not Project.objects.get(pk=project.pk).scores_stale
    assert latest_snapshot(project).computed_at > snapshot_before.computed_at
    waiting = list(pending.select_related("recipient"))
    assert send_emails() == len(waiting)
    expected = {n.recipient.email for n in waiting}
    assert set().union(*(m.to for m in mail.outbox)) == expected
    assert world.pm.email in expected
    assert not Notification.objects.filter(emailed_at__isnull=True, recipient__email__gt="").exists()
