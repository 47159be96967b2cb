"""Test settings: fast hashing, in-memory mail, a queue of its own."""

import os
import tempfile

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
# The test run's own process closes its connection after each request, as before (a test database is dropped at
# the end, and threads of the tests open connections of their own); processes a test starts (web servers,
# workers) keep production's persistent connections unless the test says otherwise.
if not env.str("CMO_TEST_DATABASE_NAME", default=""):
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
if env.str("CMO_TEST_DATABASE_NAME", default=""):
    # Set for Celery workers started by the tests: they must use the test database.
    DATABASES["default"]["NAME"] = env.str("CMO_TEST_DATABASE_NAME")
# A cache namespace of this run's own (throttle windows and charts live in the cache). Processes started by a test
# that must share one cache, as production's web servers do (tests/test_two_servers.py), are given the test's prefix.
CACHES["default"]["KEY_PREFIX"] = env.str("CMO_TEST_CACHE_KEY_PREFIX", default=f"test-{os.getpid()}")

if env.bool("CMO_TEST_BEAT_PING", default=False):
    # Only for the test that proves beat delivers ticks to a real worker (tests/test_celery.py).
    CELERY_BEAT_SCHEDULE = {"ping-every-second": {"task": "cmo_portal.ping", "schedule": 1.0}}

# Knobs of the real-process fault tests (tests/test_worker_faults.py); never set outside the tests.
if env.int("CMO_TEST_VISIBILITY_TIMEOUT", default=0) and REDIS_URL:  # noqa: F405
    # Production redelivers a killed worker's message after 600 s, found by a sweep every ~100 s (kombu's
    # unacked_restore_interval 10 s x unacked_restore_throttle 10); scaled down to seconds here.
    REDIS_VISIBILITY_TIMEOUT = env.int("CMO_TEST_VISIBILITY_TIMEOUT")
    CELERY_BROKER_TRANSPORT_OPTIONS |= {  # noqa: F405
        "visibility_timeout": REDIS_VISIBILITY_TIMEOUT,
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }
if env.float("CMO_TEST_BEAT_DIGEST_EVERY", default=0):
    # Beat fires the weekly digest every few seconds instead of Monday 07:00 (the digest is once per ISO week).
    CELERY_BEAT_SCHEDULE = {
        "weekly-digest": {
            "task": "metrics.tasks.send_weekly_digest",
            "schedule": env.float("CMO_TEST_BEAT_DIGEST_EVERY"),
        }
    }
if env.str("CMO_TEST_EMAIL_DIR", default=""):
    # A worker started by the tests writes its e-mails to files the test reads (locmem is per process).
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env.str("CMO_TEST_EMAIL_DIR")

# Document files of a test run go to a directory of its own (a test may point STORAGES["documents"] elsewhere).
STORAGES["documents"] = {  # noqa: F405
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {
        "location": env.str(
            "DOCUMENTS_ROOT", default=os.path.join(tempfile.gettempdir(), f"cmo-test-documents-{os.getpid()}")
        ),
        "base_url": None,
    },
}

# Outgoing webhooks: the tests' receiver listens on http://127.0.0.1; retries after a second (3 attempts in all).
WEBHOOKS_ALLOW_LOOPBACK_HTTP = True
WEBHOOK_RETRY_COUNTDOWNS = [1, 1]
WEBHOOK_TIMEOUT = 3

# Single sign-on: the test suite's OpenID Connect provider listens on http://127.0.0.1 (tests/sso_provider.py).
SSO_ALLOW_INSECURE_LOOPBACK = True
