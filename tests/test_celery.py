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
        assert app.conf.broker_url == "filesystem://"


def test_beat_schedule_is_static_and_names_registered_tasks():
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]
