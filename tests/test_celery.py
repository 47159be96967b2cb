"""The Celery app round-trips a task through a real worker on the configured broker."""

import pytest
from django.conf import settings

from cmo_portal.celery import app, ping


@pytest.mark.worker
def test_ping_round_trips_through_a_real_worker(celery_worker):
    result = ping.delay()
    assert result.get(timeout=60) == "pong"


def test_celery_is_configured_for_json_and_time_limits():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert ping.acks_late is True


def test_broker_follows_redis_url():
    if settings.REDIS_URL:
        assert app.conf.broker_url.startswith("redis://")
    else:
        assert app.conf.broker_url.startswith("filesystem://")


def test_beat_schedule_is_static_and_names_registered_tasks():
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


@pytest.mark.worker
def test_beat_delivers_scheduled_ticks_to_the_worker(celery_worker, tmp_path):
    import os
    import subprocess
    import sys
    import time

    from django.db import connection

    def pings_done() -> int:
        return celery_worker.log_path.read_text().count("Task cmo_portal.ping[")

    before = pings_done()
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "cmo_portal.settings.test",
        "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "CMO_TEST_DATABASE_NAME": connection.settings_dict["NAME"],
        "CMO_TEST_BEAT_PING": "1",
    }
    beat_log = tmp_path / "beat.log"
    with beat_log.open("w") as log:
        beat = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "cmo_portal",
                "beat",
                "--loglevel=INFO",
                "--schedule",
                str(tmp_path / "beat-schedule"),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while pings_done() < before + 2 and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        beat.terminate()
        beat.wait(timeout=15)
    assert "Sending due task ping-every-second" in beat_log.read_text()
    assert pings_done() >= before + 2, celery_worker.log_path.read_text()[-2000:]
