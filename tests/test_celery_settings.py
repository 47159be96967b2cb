"""Timeouts of the broker and the tasks fit together (docs/operations.md, "Killed tasks").

Redis redelivers a message that is not acknowledged within the visibility timeout. It must exceed every task's
hard time limit plus its longest retry countdown (else a running or waiting task is delivered twice), and stay
at most 10 minutes (a task killed with its worker is redone within minutes, not an hour).
"""

import runpy
from pathlib import Path

import pytest
from django.conf import settings

from cmo_portal.celery import app

TEN_MINUTES = 600


def registered_tasks() -> dict:
    app.loader.import_default_modules()  # every app's tasks module, as a worker loads them
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def longest_unacknowledged(task) -> int:
    """Seconds a message of ``task`` may stay unacknowledged: its retry countdown, then its run."""
    time_limit = task.time_limit or app.conf.task_time_limit
    autoretry = getattr(task, "autoretry_for", ())
    if not autoretry:
        return time_limit
    retry_countdown = task.retry_backoff_max if getattr(task, "retry_backoff", False) else task.default_retry_delay
    return time_limit + retry_countdown


@pytest.fixture(scope="module")
def redis_settings() -> dict:
    """The base settings as evaluated in production, with Redis as broker (whatever this run uses)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REDIS_URL", "redis://redis.example:6379/0")
        return runpy.run_path(str(Path(settings.BASE_DIR) / "cmo_portal" / "settings" / "base.py"))


def test_every_task_finishes_or_retries_within_the_visibility_timeout(redis_settings):
    tasks = registered_tasks()
    assert {"metrics.tasks.recompute_project_scores", "metrics.tasks.send_weekly_digest"} <= tasks.keys()
    visibility_timeout = redis_settings["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"]

    assert visibility_timeout <= TEN_MINUTES
    too_long = {
        name: longest_unacknowledged(task)
        for name, task in tasks.items()
        if longest_unacknowledged(task) >= visibility_timeout
    }
    assert too_long == {}, f"over the visibility timeout ({visibility_timeout} s): {too_long}"


def test_this_run_uses_the_same_visibility_timeout_on_redis():
    if settings.CELERY_BROKER_URL.startswith("redis"):
        assert app.conf.broker_transport_options["visibility_timeout"] == settings.REDIS_VISIBILITY_TIMEOUT
    else:  # the filesystem transport redelivers nothing by itself: no timeout to set
        assert "visibility_timeout" not in app.conf.broker_transport_options


def test_a_killed_worker_process_requeues_its_idempotent_tasks():
    tasks = registered_tasks()
    late = {name for name, task in tasks.items() if task.acks_late}
    assert "metrics.tasks.recompute_project_scores" in late
    assert "metrics.tasks.send_weekly_digest" not in late  # not idempotent by itself: never redelivered
    lost = {
        name
        for name in late
        if not (
            tasks[name].reject_on_worker_lost
            if tasks[name].reject_on_worker_lost is not None
            else app.conf.task_reject_on_worker_lost
        )
    }
    assert lost == set()
