"""LuxEstate settings: one module, driven by the environment (see .env.example).

With no DATABASE_URL / REDIS_URL the service runs on an embedded stack under
var/ (SQLite, a file cache, Kombu's filesystem broker) so that web, worker and
beat work as separate processes on a machine with nothing installed.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

from config.cache_breaker import BreakerRetry
from config.queues import WORKER_QUEUES
from config.sentry import init_sentry
from config.web import WEB_THREADS

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Not under the tests (config/test_settings.py): a developer's .env would
# change what the suite checks.
if env.bool("READ_DOT_ENV", default=True):
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret(name: str) -> str:
    """The variable `name` exactly as set (by the environment or .env), else "".

    Not env(): django-environ reads a value starting with "$" as the name of
    another variable, and a random secret (get_random_secret_key's alphabet
    has "$") may well start with one.
    """
    return os.environ.get(name, "")


def _kept_secret(name: str, generate: bool = True) -> str:
    """The secret `name` from the environment, else (if `generate`) one made once and kept under var/.

    A secret kept on disk is shared by web, worker, beat and management
    commands on this machine and survives restarts, without a guessable
    default in the code.
    """
    if value := _secret(name):
        return value
    if not generate:
        return ""
    path = VAR_DIR / name.lower()
    try:
        with open(path, "x") as new_file:
            new_file.write(get_random_secret_key())
    except FileExistsError:
        pass
    return path.read_text().strip()


DEBUG = env.bool("DEBUG", default=False)
# Required with DEBUG off (checked at start-up, config/apps.py): a key made
# per machine would differ between instances, so what one signed (sessions,
# tokens, password reset links) the next would refuse. Made once under var/
# in development.
SECRET_KEY = _kept_secret("SECRET_KEY", generate=DEBUG)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Proxies (load balancers) in front of the web process. The client's address
# is read from X-Forwarded-For only that many hops deep (the API's throttles,
# the admin's login back-off), and only with at least one is the proxy's
# X-Forwarded-Proto believed (below, and deploy/gunicorn.conf.py). 0: the
# connection's own address and scheme, so that a client can neither dodge a
# throttle nor pass for HTTPS by sending those headers itself.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=["http://localhost:3000", "http://127.0.0.1:3000"])

INSTALLED_APPS = [
    # First, so that its start-up check runs before any app reads SECRET_KEY.
    "config",
    "config.admin_apps.SecondFactorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_prometheus",
    "domain.users",
    "domain.properties",
    "domain.bookings",
    "domain.payments",
    "domain.operations",
    "domain.notices",
    # Sign-out and rotation: refresh tokens are recorded, and refused once blacklisted.
    "rest_framework_simplejwt.token_blacklist",
]

MIDDLEWARE = [
    # First: every line logged from here on carries the request's id, and every answer counts.
    "api.request_id.RequestIdMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last but one: it turns a login axes refused into its 429 answer.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "users.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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

# --- Database -------------------------------------------------------------
if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    if "postgresql" in DATABASES["default"]["ENGINE"]:
        options = DATABASES["default"].setdefault("OPTIONS", {})
        # An unreachable host fails in seconds, not after the OS's TCP timeout.
        options.setdefault("connect_timeout", 5)
        # A row lock waited for longer than this is an OperationalError, which
        # tasks retry, instead of a wait that outlives the task's time limit
        # (psycopg does not cancel a query on Celery's soft time limit).
        #
        # client_connection_check_interval: a backend busy in a lock wait or a
        # long statement notices within a second that its client died, so the
        # dead run's row locks and run lock (domain/jobs/liveness.py) go at
        # once. The TCP keepalives do the same for a machine lost whole.
        #
        # random_page_cost: PostgreSQL's default (4) prices a page read out of
        # order as a spinning disk's. With the tables in memory or on SSD, it
        # made the planner scan every row for a `location` one row in ten
        # matches (45 ms on 100,000 rows) instead of reading its trigram index
        # (23 ms). Empty: the server's own setting.
        random_page_cost = env("DATABASE_RANDOM_PAGE_COST", default="1.1")
        options.setdefault(
            "options",
            f"-c lock_timeout={env('DATABASE_LOCK_TIMEOUT', default='10s')}"
            + (f" -c random_page_cost={random_page_cost}" if random_page_cost else "")
            + " -c client_connection_check_interval=1s"
            " -c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3",
        )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": {
                # Writers queue for the lock instead of failing with
                # "database is locked"; WAL lets readers run beside a writer.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
# django-prometheus's wrapper of the same backend counts queries, errors and their durations.
DATABASES["default"]["ENGINE"] = DATABASES["default"]["ENGINE"].replace(
    "django.db.backends.", "django_prometheus.db.backends."
)
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# --- Cache ----------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # A dead Redis is a cache miss, logged, never a 500.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
                # After a call failed (a timeout: the cache hangs), no call is made for
                # CACHE_BREAKER_COOLDOWN seconds: one request waited, the next ones do not.
                "CONNECTION_POOL_KWARGS": {"retry": BreakerRetry()},
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Seconds a process leaves the cache alone after a call to it failed (config/cache_breaker.py).
CACHE_BREAKER_COOLDOWN = env.int("CACHE_BREAKER_COOLDOWN", default=5)

# --- Auth -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Axes's backend first: it refuses a locked-out admin login before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed admin logins (django-axes) are counted per username and address
# together, and per address, never per username alone: nobody can lock a
# staff member out by guessing at their username from somewhere else.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURE_LIMIT", default=5)
# A cool-off, not a lock that staff must lift: the failures lapse this long
# after the last one (a failure during it starts it again).
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ADMIN_LOGIN_COOLOFF_MINUTES", default=15))
AXES_CLIENT_IP_CALLABLE = "config.client_address.client_address"
AXES_WHITELIST_CALLABLE = "config.admin_login.is_not_admin_login"
# The name authenticator apps show beside the admin's TOTP codes.
OTP_TOTP_ISSUER = "LuxEstate"

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=60)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=1)),
    "AUTH_HEADER_TYPES": ("Bearer",),
    # A refresh answers a new refresh token and blacklists the one it was given:
    # a stolen refresh token is good once, and its theft shows when the owner's
    # next refresh is refused.
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
}
# Seconds a password reset link stays good (Django's default is three days).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
# The frontend's page that takes a reset link's {uid} and {token} and posts
# them to /api/auth/password/reset/confirm/ with the new password.
PASSWORD_RESET_URL = env("PASSWORD_RESET_URL", default="http://localhost:3000/reset-password?uid={uid}&token={token}")

# --- REST framework -------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.auth.authentication.VersionedJWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    # JSON in, JSON out (API.md); the interactive docs are /api/docs/.
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "NUM_PROXIES": NUM_PROXIES,
    "PAGE_SIZE": 20,
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttles.AnonRateThrottle",
        "api.throttles.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_ANON_RATE", default="1000/min"),
        "user": env("THROTTLE_USER_RATE", default="2000/min"),
        "auth": env("THROTTLE_AUTH_RATE", default="10/min"),
        # Property list requests with a `search` term, per client (api/catalog/throttles.py).
        "search": env("THROTTLE_SEARCH_RATE", default="60/min"),
    },
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "LuxEstate API",
    "DESCRIPTION": "Luxury real-estate catalog, bookings and payments.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Public: a stale token sent along must not make the docs a 401.
    "SERVE_AUTHENTICATION": [],
}

# --- Static and media -----------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
# Serve straight from the app folders, so admin and docs work without a
# collectstatic step (the release process still runs one for production).
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Uploaded images. With a bucket (S3, or S3-compatible at AWS_S3_ENDPOINT_URL)
# django-storages keeps them there, and image_url points at it; boto3 finds
# the credentials itself (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the
# machine's role). Without one they are files under MEDIA_ROOT, which the web
# process serves itself (SERVE_MEDIA, config/media.py): one host, or a volume
# every web instance shares.
_MEDIA_BUCKET = env("AWS_STORAGE_BUCKET_NAME", default="")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if _MEDIA_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _MEDIA_BUCKET,
            "region_name": env("AWS_S3_REGION_NAME", default=None),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "custom_domain": env("AWS_S3_CUSTOM_DOMAIN", default=None),
            # S3Storage replaces a file of the same name by default: two
            # uploads of villa.png must stay two images.
            "file_overwrite": False,
        },
    }
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=not _MEDIA_BUCKET)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Bookings and operations ----------------------------------------------
BOOKING_PENDING_TTL = env.int("BOOKING_PENDING_TTL", default=900)
BOOKING_EXPIRY_INTERVAL = env.int("BOOKING_EXPIRY_INTERVAL", default=60)
BOOKING_EXPIRY_BATCH_SIZE = env.int("BOOKING_EXPIRY_BATCH_SIZE", default=200)
# --- Jobs: operations and webhook events (domain/jobs) ----------------------
# Seconds between two sweeps for jobs whose run died or whose message was lost.
JOB_SWEEP_INTERVAL = env.int("JOB_SWEEP_INTERVAL", default=5)
# Seconds after its dispatch that a job no run has taken is sent again (then
# twice as long after each re-dispatch). On PostgreSQL a job whose run died is
# sent again at the next sweep, whatever this says.
JOB_REDISPATCH_AFTER = env.int("JOB_REDISPATCH_AFTER", default=15)
# On SQLite only (no advisory locks there): seconds after its run began that
# a job still RUNNING counts as orphaned. Longer than a task can run
# (CELERY_TASK_TIME_LIMIT plus its retries' back-off).
JOB_STALE_AFTER = env.int("JOB_STALE_AFTER", default=300)
# Final jobs are deleted this many days after they ended (never under one:
# idempotency keys live as long as their operation, at least 24 hours).
OPERATION_RETENTION_DAYS = env.int("OPERATION_RETENTION_DAYS", default=7)
if OPERATION_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("OPERATION_RETENTION_DAYS must be at least 1: idempotency keys live 24 hours.")
# Rows deleted per transaction by the purge.
JOB_PURGE_BATCH_SIZE = env.int("JOB_PURGE_BATCH_SIZE", default=1000)
JOB_PURGE_INTERVAL = env.int("JOB_PURGE_INTERVAL", default=3600)
# PENDING bookings one user may hold at once, so that no account holds the
# whole catalog: past it a booking fails with too_many_pending_bookings.
BOOKING_MAX_PENDING_PER_USER = env.int("BOOKING_MAX_PENDING_PER_USER", default=3)
# Seconds after a user canceled a booking or let it expire before they may
# book that property again (rebook_cooldown), so that one account cannot hold
# a property forever by booking it again and again unpaid.
BOOKING_REBOOK_COOLDOWN = env.int("BOOKING_REBOOK_COOLDOWN", default=600)
# Runs of one operation (each retry counts) before it ends FAILED: above the
# task's own retries (tasks/retries.py), so those alone never exhaust it.
OPERATION_MAX_ATTEMPTS = env.int("OPERATION_MAX_ATTEMPTS", default=10)
# Re-dispatches of one operation by the sweep before it ends FAILED: with
# JOB_REDISPATCH_AFTER doubling, 7 is half an hour with no worker for its queue.
OPERATION_MAX_REDISPATCHES = env.int("OPERATION_MAX_REDISPATCHES", default=7)

# Requests of one web process that may long-poll an operation at once: below
# its threads, so that waiters never take them all (api/operations/waiting.py).
LONG_POLL_MAX_WAITERS = env.int("LONG_POLL_MAX_WAITERS", default=max(WEB_THREADS * 3 // 4, 1))
if LONG_POLL_MAX_WAITERS >= WEB_THREADS:
    raise ImproperlyConfigured(
        "LONG_POLL_MAX_WAITERS must be below GUNICORN_THREADS, or waiters can take every thread."
    )

# --- Payments -------------------------------------------------------------
# The simulation only reports its mode from it (livemode); a real integration
# calls Stripe with it.
STRIPE_SECRET_KEY = _secret("STRIPE_SECRET_KEY")
# Webhook signing secrets: required with DEBUG off (checked at start-up). In
# development they are made once under var/, so that the server and
# `manage.py send_webhook` sign and verify with the same ones.
STRIPE_WEBHOOK_SECRET = _kept_secret("STRIPE_WEBHOOK_SECRET", generate=DEBUG)
BKASH_WEBHOOK_SECRET = _kept_secret("BKASH_WEBHOOK_SECRET", generate=DEBUG)
# How far (seconds) a Stripe signature's timestamp may be from now.
WEBHOOK_TOLERANCE = 300
# Seconds by which starting a payment extends a PENDING booking's hold, once,
# so that a customer who starts paying at the last second can finish.
PAYMENT_HOLD_EXTENSION = env.int("PAYMENT_HOLD_EXTENSION", default=600)
# Provider -> strategy class; a real integration replaces a simulation here.
PAYMENT_STRATEGIES = {
    "STRIPE": "domain.payments.providers.stripe.StripeSimulation",
    "BKASH": "domain.payments.providers.bkash.BkashSimulation",
}
# Runs of an event's apply task that end without applying it (each crashed or
# timed out) before it is marked FAILED for a person to look at: above the
# task's own retries (tasks/retries.py), so a database failover alone never
# exhausts it.
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=10)

# --- Notices by email (domain/notices) --------------------------------------
# SMTP from EMAIL_URL (django-environ: smtp+tls://user:password@host:587 with
# STARTTLS, smtp+ssl://user:password@host:465 with TLS, smtp://host:1025 in
# the clear, as Mailpit); unset: the console backend, which prints each
# message in the worker's log.
if env("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="LuxEstate <no-reply@luxestate.local>")
# Seconds an SMTP connection or reply may take: a hung server fails the run
# (tried again later) instead of holding a worker until its time limit.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# Seconds before an unpaid hold ends that its customer is warned, once.
BOOKING_EXPIRY_WARNING = env.int("BOOKING_EXPIRY_WARNING", default=300)
# Seconds between two looks for them (beat): an interval of its own, so that
# the expiry's runs are never queued behind it when both are short.
BOOKING_EXPIRY_WARNING_INTERVAL = env.int("BOOKING_EXPIRY_WARNING_INTERVAL", default=60)
# Runs of one notice that fail (the SMTP server down, say) before it is given
# up; each waits twice as long as the last (JOB_REDISPATCH_AFTER doubling).
NOTICE_MAX_ATTEMPTS = env.int("NOTICE_MAX_ATTEMPTS", default=10)
# Runs of a refund that fail (the provider refused or did not answer) before
# it is given up and its payment shown REFUND_FAILED for staff; each waits
# twice as long as the one before (JOB_REDISPATCH_AFTER doubling).
REFUND_MAX_ATTEMPTS = env.int("REFUND_MAX_ATTEMPTS", default=8)
# Payments still INITIATED whose booking expires within this many seconds, or
# ended as long ago or less, are asked about at their provider (a lost
# webhook), every PAYMENT_RECONCILE_INTERVAL.
PAYMENT_RECONCILE_BEFORE_EXPIRY = env.int("PAYMENT_RECONCILE_BEFORE_EXPIRY", default=120)
PAYMENT_RECONCILE_INTERVAL = env.int("PAYMENT_RECONCILE_INTERVAL", default=30)

# --- Celery ---------------------------------------------------------------


def _next_redis_database(url: str) -> str:
    """The redis:// (or rediss://) `url` with the database after its own: N + 1, or 0 after 15 (the last of
    a default Redis's 16)."""
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(database + 1) % 16}"))


# With only REDIS_URL set, the broker takes the next database of that Redis,
# so that emptying the cache (FLUSHDB) never drops a queued task. Eviction
# under maxmemory is per instance, though: production gives the broker its
# own (the worker warns at start-up otherwise, config/broker_memory.py).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or (
    _next_redis_database(REDIS_URL) if REDIS_URL else "filesystem://"
)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=120)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=100)
# Seconds a publish may take in all (socket timeouts and its one retry); after
# a failed one this process leaves dispatching to the sweep for
# BROKER_BREAKER_COOLDOWN seconds (tasks/jobs.py).
BROKER_PUBLISH_TIMEOUT = env.float("BROKER_PUBLISH_TIMEOUT", default=1.0)
BROKER_BREAKER_COOLDOWN = env.int("BROKER_BREAKER_COOLDOWN", default=10)
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Else Kombu keeps its exchange files in ./control of the working directory.
        "control_folder": str(_broker_dir / "control"),
    }
else:
    # A message whose worker died unacknowledged comes back after this many
    # seconds. It must exceed the longest task (CELERY_TASK_TIME_LIMIT), or a
    # task still running would be delivered a second time.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300),
    }
    if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        # Without them a broker that accepts and never answers blocks a
        # publish forever. Half the publish deadline each: tasks/jobs.py.
        CELERY_BROKER_TRANSPORT_OPTIONS |= {
            "socket_timeout": BROKER_PUBLISH_TIMEOUT / 2,
            "socket_connect_timeout": BROKER_PUBLISH_TIMEOUT / 2,
        }
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_PUBLISH_TIMEOUT / 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Clients poll our Operation records, not Celery results.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "maintenance"
# Operations go to the queue of their kind (bookings, payments) when
# dispatched: see domain/operations/kinds.py.
CELERY_TASK_ROUTES = {
    "tasks.maintenance.*": {"queue": "maintenance"},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Each expires after one interval: runs queued while no worker consumed
    # them would only repeat one another.
    "expire-stale-bookings": {
        "task": "tasks.maintenance.expire_stale_bookings",
        "schedule": BOOKING_EXPIRY_INTERVAL,
        "options": {"expires": BOOKING_EXPIRY_INTERVAL},
    },
    "redispatch-jobs": {
        "task": "tasks.maintenance.redispatch_jobs",
        "schedule": JOB_SWEEP_INTERVAL,
        "options": {"expires": JOB_SWEEP_INTERVAL},
    },
    "warn-expiring-bookings": {
        "task": "tasks.maintenance.warn_expiring_bookings",
        "schedule": BOOKING_EXPIRY_WARNING_INTERVAL,
        "options": {"expires": BOOKING_EXPIRY_WARNING_INTERVAL},
    },
    "flush-expired-tokens": {
        "task": "tasks.maintenance.flush_expired_tokens",
        "schedule": JOB_PURGE_INTERVAL,
        "options": {"expires": JOB_PURGE_INTERVAL},
    },
    "reconcile-payments": {
        "task": "tasks.maintenance.reconcile_payments",
        "schedule": PAYMENT_RECONCILE_INTERVAL,
        "options": {"expires": PAYMENT_RECONCILE_INTERVAL},
    },
    "purge-finished-jobs": {
        "task": "tasks.maintenance.purge_finished_jobs",
        "schedule": JOB_PURGE_INTERVAL,
        "options": {"expires": JOB_PURGE_INTERVAL},
    },
}

# --- Logging --------------------------------------------------------------
# The same for web, worker and beat (Celery keeps it: config/celery_logging.py).
# Every line carries the request id, operation id and user id where known
# (config/log_context.py); LOG_FORMAT=json makes each line one JSON object.
LOG_FORMAT = env("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be plain or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "config.log_context.ContextFilter"},
        "skipped_cache_calls": {"()": "config.cache_breaker.SkippedCallsInOneLine"},
    },
    "formatters": {
        "plain": {
            "()": "logging.Formatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
            "defaults": {"request_id": "-"},
        },
        "json": {"()": "config.json_logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context", "skipped_cache_calls"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# --- Metrics (Prometheus) -------------------------------------------------
# GET /metrics answers the private network only, unless this is set: then
# only `Authorization: Bearer <METRICS_TOKEN>`, from anywhere.
METRICS_TOKEN = _secret("METRICS_TOKEN")
# Seconds back that luxestate_operations counts final operations.
METRICS_FINISHED_WINDOW = env.int("METRICS_FINISHED_WINDOW", default=3600)
# The queues whose length luxestate_celery_queue_length reports (Redis broker): by default every
# queue the Procfile's worker consumes.
METRICS_QUEUES = env.list("METRICS_QUEUES", default=list(WORKER_QUEUES))
# A worker's own task metrics are on this port when set (tasks/observability.py).
WORKER_METRICS_PORT = env.int("CELERY_METRICS_PORT", default=None)

# --- Error reports (Sentry) -----------------------------------------------
# Nothing is sent without a DSN (config/sentry.py).
SENTRY_DSN = env("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", default="production")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
init_sentry(SENTRY_DSN, environment=SENTRY_ENVIRONMENT, traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE)

# --- HTTPS ----------------------------------------------------------------
# Behind a proxy that terminates TLS, a request came over HTTPS when the
# proxy says so (it must set X-Forwarded-Proto itself, replacing a client's):
# then links (status_url, Location, pagination) are https:// and the admin's
# CSRF check accepts the browser's https:// origin.
if NUM_PROXIES >= 1:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# Load balancers and Prometheus ask the instance itself, over plain HTTP: a
# redirect would read as a failed check.
SECURE_REDIRECT_EXEMPT = [r"^api/health/", r"^metrics/?$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
if not DEBUG:
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
