"""LuxEstate settings: one module, driven by the environment (see .env.example).

With no DATABASE_URL / REDIS_URL the service runs on an embedded stack under
var/ (SQLite, a file cache, Kombu's filesystem broker) so that web, worker and
beat work as separate processes on a machine with nothing installed.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.management.utils import get_random_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Not under the tests (config/test_settings.py): a developer's .env would
# change what the suite checks.
if env.bool("READ_DOT_ENV", default=True):
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _kept_secret(name: str, generate: bool = True) -> str:
    """The secret `name` from the environment, else (if `generate`) one made once and kept under var/.

    A secret kept on disk is shared by web, worker, beat and management
    commands on this machine and survives restarts, without a guessable
    default in the code.
    """
    if value := env(name, default=""):
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


SECRET_KEY = _kept_secret("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CORS_ALLOWED_ORIGINS = env.list(
    "CORS_ALLOWED_ORIGINS", default=["http://localhost:3000", "http://127.0.0.1:3000"]
)

INSTALLED_APPS = [
    "django.contrib.admin",
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
    "domain.users",
    "domain.properties",
    "domain.bookings",
    "domain.payments",
    "domain.operations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
        options.setdefault("options", f"-c lock_timeout={env('DATABASE_LOCK_TIMEOUT', default='10s')}")
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

# --- Auth -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=60)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=1)),
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# --- REST framework -------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    # JSON in, JSON out (API.md); the interactive docs are /api/docs/.
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Proxies in front of the web process: the client's address is read from
    # X-Forwarded-For only that many hops deep. 0: REMOTE_ADDR, so a client
    # cannot dodge the login throttle by sending its own X-Forwarded-For.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "PAGE_SIZE": 20,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
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

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Bookings and operations ----------------------------------------------
BOOKING_PENDING_TTL = env.int("BOOKING_PENDING_TTL", default=900)
BOOKING_EXPIRY_INTERVAL = env.int("BOOKING_EXPIRY_INTERVAL", default=60)
BOOKING_EXPIRY_BATCH_SIZE = env.int("BOOKING_EXPIRY_BATCH_SIZE", default=200)
# PENDING bookings one user may hold at once, so that no account holds the
# whole catalog: past it a booking fails with too_many_pending_bookings.
BOOKING_MAX_PENDING_PER_USER = env.int("BOOKING_MAX_PENDING_PER_USER", default=3)
# Seconds after a user canceled a booking or let it expire before they may
# book that property again (rebook_cooldown), so that one account cannot hold
# a property forever by booking it again and again unpaid.
BOOKING_REBOOK_COOLDOWN = env.int("BOOKING_REBOOK_COOLDOWN", default=600)
# An operation not final this long after its last change is re-dispatched.
# Longer than a task can run (CELERY_TASK_TIME_LIMIT plus its retries'
# back-off), so that the sweep never re-sends a run that is still alive.
OPERATION_STALE_AFTER = env.int("OPERATION_STALE_AFTER", default=300)
OPERATION_SWEEP_INTERVAL = env.int("OPERATION_SWEEP_INTERVAL", default=60)
# Runs of one operation (each retry counts) before it ends FAILED: above the
# task's own retries (tasks/retries.py), so those alone never exhaust it.
OPERATION_MAX_ATTEMPTS = env.int("OPERATION_MAX_ATTEMPTS", default=10)
# Re-dispatches of one operation by the sweep before it ends FAILED: its queue
# has had no worker for that long (OPERATION_STALE_AFTER apart).
OPERATION_MAX_REDISPATCHES = env.int("OPERATION_MAX_REDISPATCHES", default=6)

# --- Payments -------------------------------------------------------------
# The simulation only reports its mode from it (livemode); a real integration
# calls Stripe with it.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
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
# A webhook event still unapplied this long after its task was queued is re-dispatched.
WEBHOOK_STALE_AFTER = env.int("WEBHOOK_STALE_AFTER", default=120)
WEBHOOK_SWEEP_INTERVAL = env.int("WEBHOOK_SWEEP_INTERVAL", default=60)
# Runs of an event's apply task that end without applying it (each crashed or
# timed out) before it is marked FAILED for a person to look at: above the
# task's own retries (tasks/retries.py), so a database failover alone never
# exhausts it.
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=10)

# --- Celery ---------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or REDIS_URL or "filesystem://"
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=120)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=100)
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
# dispatched: see tasks/operations.py.
CELERY_TASK_ROUTES = {
    "tasks.webhooks.*": {"queue": "webhooks"},
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
    "redispatch-stale-operations": {
        "task": "tasks.maintenance.redispatch_stale_operations",
        "schedule": OPERATION_SWEEP_INTERVAL,
        "options": {"expires": OPERATION_SWEEP_INTERVAL},
    },
    "redispatch-unapplied-webhook-events": {
        "task": "tasks.maintenance.redispatch_unapplied_webhook_events",
        "schedule": WEBHOOK_SWEEP_INTERVAL,
        "options": {"expires": WEBHOOK_SWEEP_INTERVAL},
    },
}

# --- Logging --------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

if not DEBUG:
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
