"""Test settings: fast hashing, in-memory mail, a queue of its own."""

import os

from cmo_portal.env import env
from cmo_portal.settings.base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

AXES_FAILURE_LIMIT = 50

# A queue of this test run's own, so a worker started by the tests never picks up
# messages left by another run (or by `make run`) on the same broker.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default=f"cmo-portal-test-{os.getpid()}")
if DATABASE_OWNER:  # noqa: F405 -- tests create, flush and drop databases: they run as the owner
    DATABASES["default"] = {**DATABASES["default"], **DATABASE_OWNER}  # noqa: F405
if env.str("CMO_TEST_DATABASE_NAME", default=""):
    # Set for Celery workers started by the tests: they must use the test database.
    DATABASES["default"]["NAME"] = env.str("CMO_TEST_DATABASE_NAME")
# A cache namespace of this run's own (throttle windows and charts live in the cache).
CACHES["default"]["KEY_PREFIX"] = f"test-{os.getpid()}"

if env.bool("CMO_TEST_BEAT_PING", default=False):
    # Only for the test that proves beat delivers ticks to a real worker (tests/test_celery.py).
    CELERY_BEAT_SCHEDULE = {"ping-every-second": {"task": "cmo_portal.ping", "schedule": 1.0}}
