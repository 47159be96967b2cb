"""Environment reading for settings: django-environ plus ``*_FILE`` secrets.

Each of ``SECRET_NAMES`` may instead be given as ``NAME_FILE`` holding a path whose
content is the value (Docker/Kubernetes secrets).
"""

import os
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()


SECRET_NAMES = ("DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "DJANGO_EMAIL_HOST_PASSWORD")


def _load_file_secrets() -> None:
    for name in SECRET_NAMES:
        path = os.environ.get(f"{name}_FILE")
        if path and name not in os.environ:
            os.environ[name] = Path(path).read_text().strip()


_load_file_secrets()
