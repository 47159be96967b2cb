"""The Celery app: JSON only, time limits, a static beat schedule from settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cmo_portal.settings.dev")

app = Celery("cmo_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["metrics.export_jobs"])  # a sub-package's tasks (autodiscovery looks at apps only)


@app.task(name="cmo_portal.ping", acks_late=True)
def ping() -> str:
    """Liveness of the worker: answers ``pong`` (idempotent)."""
    return "pong"
