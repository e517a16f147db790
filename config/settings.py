"""Leerplek settings, all from the environment (see config/env.py and docs/operations.md).

With no DATABASE_URL and REDIS_URL the service runs on embedded defaults (SQLite, an
in-memory channel layer, a Celery worker and beat in the web process) so a newcomer can try
it with nothing installed. LEERPLEK_ENV=production switches on the hardened mode that passes
`manage.py check --deploy`.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str, positive_int

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("LEERPLEK_VAR_DIR", str(BASE_DIR / "var")))

ENVIRONMENT = env_str("LEERPLEK_ENV", "development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured("LEERPLEK_ENV must be 'development' or 'production'.")
PRODUCTION = ENVIRONMENT == "production"

DEBUG = env_bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when LEERPLEK_ENV=production.")
    SECRET_KEY = "insecure-development-key-not-for-production"

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served by us, not from a CDN
    "channels",
    "core",
    "events",
    "placements",
    "coordination",
    "notifications",
    "workers",
    "web",
]

MIDDLEWARE = [
    "config.health.HealthCheckMiddleware",  # first: answers the container's own healthcheck
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "web.middleware.PageLocaleMiddleware",  # pages in Dutch or English; the API in English
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
    if env_bool("DATABASE_POOL", default=True):
        # Under ASGI every request runs its sync code in a thread of its own, so persistent
        # connections (CONN_MAX_AGE) are not reused: each request opened a new PostgreSQL
        # connection. A psycopg pool per process hands connections back and forth instead.
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": env_int("DATABASE_POOL_MAX_SIZE", 10),
            "timeout": 10,
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = 60
elif PRODUCTION:
    raise ImproperlyConfigured("DATABASE_URL must be set when LEERPLEK_ENV=production.")
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "leerplek.sqlite3"),
            "OPTIONS": {"timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, Celery broker ----------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if PRODUCTION and not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL must be set when LEERPLEK_ENV=production.")

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub: one PUBLISH per group and one subscriber connection per process, so
            # fanning an event out to hundreds of sockets costs Redis one message, not one
            # list push per socket. Delivery is at most once either way; clients catch up
            # from the database by sequence number.
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    EMBEDDED_WORKER = False
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://localhost/"
    # No broker: the web process runs a Celery worker and beat in threads on the in-memory
    # transport (workers/embedded.py), so tasks retry and sweeps run as they do with Redis.
    EMBEDDED_WORKER = env_bool("EMBEDDED_WORKER", default=True)

CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 900)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 840)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "workers.tasks.allocate_region": {"queue": "allocation"},
    # Capacity reports and scenarios take seconds of CPU: never in front of a region's run.
    "workers.tasks.run_analysis": {"queue": "analysis"},
}
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Pauses, in seconds, before retrying a region whose runs keep failing: the n-th failure in
# a row waits the n-th value (the last repeats), so a region is retried, never given up on.
ALLOCATION_RETRY_BACKOFF = tuple(
    positive_int("ALLOCATION_RETRY_BACKOFF", item)
    for item in env_list("ALLOCATION_RETRY_BACKOFF", ["15", "30", "60", "120", "300", "600", "900"])
)
# Regions whose loaded problem, index and last result an allocation worker process keeps
# between runs (coordination/services.py): about 75 MB each at 10,000 requests. 0 keeps none.
ALLOCATION_KEPT_REGIONS = env_int("ALLOCATION_KEPT_REGIONS", 2)
if ALLOCATION_KEPT_REGIONS < 0:
    raise ImproperlyConfigured("ALLOCATION_KEPT_REGIONS must be 0 or more.")
CELERY_BEAT_SCHEDULE = {
    # The database knows which regions still need a run; this finds them within seconds even
    # when a worker died holding one (the broker would wait for its visibility timeout).
    "sweep-allocations": {
        "task": "workers.tasks.sweep_allocations",
        "schedule": env_int("ALLOCATION_SWEEP_SECONDS", 15),
    },
    "publish-events": {
        "task": "workers.tasks.publish_events",
        "schedule": env_int("EVENT_SWEEP_SECONDS", 5),
    },
    "expire-proposals": {"task": "workers.tasks.expire_proposals", "schedule": 300.0},
    # Daily digests at the start of the working day (TIME_ZONE).
    "send-digests": {
        "task": "workers.tasks.send_digests",
        "schedule": crontab(hour=env_int("DIGEST_HOUR", 7), minute=0),
    },
}

# --- Auth, API ------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Leerplek API",
    "DESCRIPTION": (
        "Regional coordination of internships and work-based learning places in care and "
        "welfare: placement requests, plekken, supervision sources, placements."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "SectorEnum": "placements.domain.Sector",
        "SupervisionKindEnum": "placements.domain.SupervisionKind",
        "RunStatusEnum": "coordination.models.RunStatus",
    },
}

# --- i18n, static ---------------------------------------------------------------------
# Pages are Dutch by default, English on request; the API and its messages stay English
# (web/middleware.py), as docs/api.md documents them.
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", "Nederlands"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
CELERY_TIMEZONE = TIME_ZONE  # beat's daily schedule runs on this clock
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Browser libraries from the npm registry (web/assets/package.json), installed by the
# README's commands and the Dockerfile, served from here like our own files.
STATICFILES_DIRS = [
    ("vendor/chart.js", BASE_DIR / "web" / "assets" / "node_modules" / "chart.js" / "dist")
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"
# WhiteNoise serves collected files in production; in development runserver/ASGI handlers do.
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Mail -----------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Leerplek <noreply@leerplek.local>")

# --- Leerplek -------------------------------------------------------------------------
# Largest upload the import endpoints accept, in bytes.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 5 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 5000)
# Uploads are streamed to memory up to this size; imports check IMPORT_MAX_BYTES themselves.
FILE_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_BYTES
IDEMPOTENCY_KEY_TTL_HOURS = env_int("IDEMPOTENCY_KEY_TTL_HOURS", 24)

# --- Production hardening -------------------------------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
