"""Settings of the gunicorn server and the Celery worker that ``make bench`` starts.

Production's settings (``cmo_portal.settings.production``), served over plain HTTP on loopback: no HTTPS redirect,
cookies without the Secure flag, static files without the collectstatic manifest, e-mail kept in memory, and the
bench's database (``BENCH_DATABASE_NAME``, as the owner the bench connects as). Everything that shapes a request's
cost (middleware, templates, DEBUG off, ``CONN_MAX_AGE``, cache, sessions) stays production's.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("DJANGO_REFUSE_DB_SUPERUSER", "false")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")

from cmo_portal.settings.production import *  # noqa: E402, F403

SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

if DATABASE_OWNER:  # noqa: F405 -- the bench created its database as the owner; it serves it as the owner too
    DATABASES["default"] = {**DATABASES["default"], **DATABASE_OWNER}  # noqa: F405
DATABASES["default"]["NAME"] = os.environ["BENCH_DATABASE_NAME"]  # noqa: F405
