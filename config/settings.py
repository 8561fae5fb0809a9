"""Settings, read once from the environment.

Every variable has an embedded default so that a fresh clone runs with no services at all:
unset ``DATABASE_URL`` means a SQLite file, unset ``REDIS_URL`` means the in-memory channel
layer, a local-memory cache and Celery tasks run eagerly. Production sets them.
"""

from __future__ import annotations

import contextlib
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "") or REDIS_URL

# The embedded default is a developer's machine: debug on unless said otherwise.
EMBEDDED = not DATABASE_URL
DEBUG = env_bool("DEBUG", EMBEDDED)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (production).")
    SECRET_KEY = "insecure-development-key-only-for-the-embedded-default"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

DATA_DIR = Path(os.environ.get("DATA_DIR", BASE_DIR / "var"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "/media/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATIC_URL = "/static/"
# In development WhiteNoise serves straight from the apps' static folders (no collectstatic needed).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
with contextlib.suppress(OSError):  # a read-only image has it from collectstatic
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

INSTALLED_APPS = [
    # daphne first: it makes `runserver` serve ASGI, so websockets work in development too.
    "daphne",
    # Django's admin as the bureau's back office (who may enter, every change audited).
    "accounts.admin_site.BureauAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "corsheaders",
    # Only for its templates and static files: /api/v1/docs then loads Swagger UI from this service
    # (no CDN; bureau networks and mainland China reach CDNs badly or not at all).
    "ninja",
    "accounts",
    "villages",
    "commissioners",
    "teams",
    "problems",
    "trainings",
    "notifications",
    "media",
    "stats",
    "demo",
    "dashboard",
    # The field app for commissioners and township staff (/app/): static pages over /api/v1/.
    "fieldapp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on the service's web pages (CONTENT_SECURITY_POLICY_PATHS).
    "core.csp.ContentSecurityPolicyMiddleware",
    # Static files (API docs, admin, dashboard) straight from the ASGI server: no CDN, no nginx needed.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Large JSON answers (coverage maps, lists) gzipped for clients that accept it; reads only (BREACH).
    "core.compression.JSONGZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Picks each request's language (Accept-Language; zh-hans when it names none we have) before the
    # error shaping below renders a message; after sessions, before CommonMiddleware, as Django asks.
    "django.middleware.locale.LocaleMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "api.middleware.ErrorShapeMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
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

if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # A pool per process. Under ASGI every request runs its ORM work in a thread of its own, so
        # persistent per-thread connections (CONN_MAX_AGE) pile up until PostgreSQL refuses more;
        # the pool caps them (workers × DB_POOL_MAX_SIZE) and hands them back after each request.
        # CONN_HEALTH_CHECKS: Django has the pool check each connection at checkout, so one the
        # server dropped is replaced instead of failing the request.
        DATABASES["default"].update(CONN_MAX_AGE=0, CONN_HEALTH_CHECKS=True)
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["pool"] = {
            "min_size": int(os.environ.get("DB_POOL_MIN_SIZE", "2")),
            "max_size": int(os.environ.get("DB_POOL_MAX_SIZE", "16")),
            "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10")),
        }
        # No JIT: this service's queries are short; PostgreSQL's JIT compiled the province's coverage
        # aggregates for ≈40 ms each, a cost it never earned back (bench/national).
        options["options"] = (options.get("options", "") + " -c jit=off").strip()
    else:
        DATABASES["default"].update(CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=True)
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "db.sqlite3",
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the busy
                # timeout instead of one failing with "database is locked" mid-transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        },
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kjtpy",
            # A hung Redis must not hold a request (rate limits read the cache on every login).
            "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
        }
    }
    import redis.exceptions

    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        # After a Redis restart the pool's dead connection is retried once instead
                        # of failing the first websocket handshake (tests/faults/test_redis_down.py).
                        "retry_on_error": [redis.exceptions.ConnectionError],
                        # redis-py reads with a 5 s timeout; channels_redis blocks 5 s in BZPOPMIN,
                        # so an idle consumer's receive would time out and the consumer die.
                        "socket_timeout": 15,
                        # The asyncio pool raises past its size instead of waiting: a burst of
                        # connects (a deploy, a network blip) must not hit it.
                        "max_connections": 1000,
                    }
                ],
                "prefix": "kjtpy",
                # Only the hubs join a group (notifications/hub.py), refreshing it every 30 s: a
                # process that died leaves the group after this, not after the default day.
                "group_expiry": 300,
                # Messages waiting for one server process (its hub's channel) past this are dropped,
                # silently: a burst of pushes must fit (the sockets would catch up at the next one).
                "capacity": 10_000,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Celery: with no broker the embedded default runs every task in-process, at once.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True  # a task whose worker died is redelivered, not lost
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A hung broker must not hold a request: give up after 5 s (then the work runs inline, see
# core/queueing.py). A killed worker's unacknowledged task is redelivered after 10 minutes.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": 5, "socket_connect_timeout": 5, "visibility_timeout": 600,
    # Reconnecting to publish: one quick retry, not kombu's default back-off of seconds per attempt.
    "max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5,
}
# No publish retries: an unreachable broker makes the caller run the task inline at once (core/queueing.py).
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULE = {
    # Open problems nobody took up, or past their deadline, go to the county.
    "problems-escalate": {"task": "problems.tasks.problems_escalate_task", "schedule": 15 * 60},
    # Personal information past its retention period is erased or coarsened, nightly.
    "personal-data-retention": {"task": "accounts.tasks.personal_data_retention_task", "schedule": 24 * 60 * 60},
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
# Our catalogues (English msgids in the code, zh-hans translations): locale/zh_Hans/LC_MESSAGES/django.po,
# compiled to .mo by scripts/bootstrap (scripts/compilemessages.py); docs/operations.md, "Messages".
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

# Request bodies: JSON writes are small. Uploads have their own cap (PHOTO_MAX_BYTES).
DATA_UPLOAD_MAX_MEMORY_SIZE = 1 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Photos: phones send 2-8 MB JPEGs; 48-megapixel cameras exist. Bigger is refused before decoding.
PHOTO_MAX_BYTES = int(os.environ.get("PHOTO_MAX_MB", "15")) * 1024 * 1024
# A 48-megapixel phone camera gives 8000×6000: that and no more (read from the header, before decoding).
PHOTO_MAX_PIXELS = 48_000_000
PHOTO_THUMBNAIL_PX = 640
# Decoding is the costly part of a photo (≈ 3 bytes a pixel, seconds of CPU at 48 MP): at most this many
# at once per process (waiting up to PHOTO_DECODE_WAIT_S, then 503), and one upload per user at a time (429).
PHOTO_DECODES_PER_PROCESS = int(os.environ.get("PHOTO_DECODES_PER_PROCESS", "2"))
PHOTO_DECODES_PER_USER = int(os.environ.get("PHOTO_DECODES_PER_USER", "1"))
PHOTO_DECODE_WAIT_S = float(os.environ.get("PHOTO_DECODE_WAIT_S", "5"))

# Problems (基层出题、特派员揭榜).
# A problem's reach (problems/audience.py): the available commissioners with the expertise whose home
# is within this distance hear of it (problem.posted) and are the ones matching ranks. 150 km is the
# far side of Baise from its centre, several hours by road; distance weighs in the score (below).
PROBLEM_REACH_KM = 150.0
# An open problem nobody has claimed after this long goes to the county (problem.escalated).
# High urgency (a disease outbreak in a herd) cannot wait a week; low urgency can.
PROBLEM_ESCALATION_HOURS = {"high": 24, "normal": 72, "low": 168}

# Matching weights. The score is a weighted sum of components in [0, 1]; the weights add up to 1.
MATCHING = {
    # Distance counts for exp(-d / 25 km): next door ≈ 1, one county away (≈ 50 km) ≈ 0.14.
    "distance_decay_km": 25.0,
    # Track record saturates: 5 resolved problems ≈ 0.63, 15 ≈ 0.95.
    "resolved_scale": 5.0,
    # "Recent service in the same village" looks back this far.
    "recent_days": 180,
    "weights": {
        # Being near matters most: villages are remote and visits are in person.
        "distance": 0.40,
        # The same county's office dispatches, pays travel and follows up: a real advantage.
        "same_county": 0.10,
        # Someone with nothing in progress can go now; each open problem halves this.
        "workload": 0.20,
        # Proven: resolved problems, and how the villages rated them.
        "track_record": 0.10,
        "rating": 0.10,
        # Knows the village and its people already.
        "recent_service": 0.10,
    },
}

# Check-ins: never refused for where or when they are, but flagged (commissioners/checkins.py).
CHECKIN = {
    # Faster than this between two check-ins is not travel on Baise's mountain roads (and the
    # expressways allow 120 km/h); a plane is not how commissioners reach villages.
    "max_speed_kmh": 120.0,
    # Two fixes this close in time are judged by distance alone (GPS noise, not speed).
    "min_interval_s": 60,
    # A phone reporting worse than this had no real GPS fix (cell towers, Wi-Fi).
    "low_accuracy_m": 100.0,
    # Phone clocks drift; minutes ahead is a clock, hours ahead is not a visit.
    "future_tolerance_s": 600,
    # Offline phones sync late, but a visit older than this is not entered from memory.
    "max_age_days": 30,
    # A photo whose EXIF position is further than this from the check-in was taken elsewhere.
    "photo_max_distance_m": 1000.0,
}

# The dashboard draws boundaries on a plain background (bureau networks are often closed); set a
# reachable tile server (e.g. an internal one) to show a basemap under them.
DASHBOARD_TILE_URL = os.environ.get("DASHBOARD_TILE_URL", "")
DASHBOARD_TILE_ATTRIBUTION = os.environ.get("DASHBOARD_TILE_ATTRIBUTION", "")
# The pages that get core.csp's policy: the dashboard, and the field app when it comes.
CONTENT_SECURITY_POLICY_PATHS = ("/dashboard/", "/app/")

# Tokens: access tokens are short so that a lost phone stops working soon; refresh tokens
# are long so that a commissioner in a village without signal for weeks is not logged out.
JWT_ACCESS_TTL = timedelta(minutes=int(os.environ.get("JWT_ACCESS_MINUTES", "15")))
JWT_REFRESH_TTL = timedelta(days=int(os.environ.get("JWT_REFRESH_DAYS", "60")))
JWT_ISSUER = "baise-kjtpy"

# The interactive docs (/api/v1/docs) and the schema (/api/v1/openapi.json); API_DOCS=0 hides both
# (a production that does not want its API surface browsable).
API_DOCS = env_bool("API_DOCS", True)

# Security headers. Production (DEBUG off) sits behind a TLS-terminating load balancer that sets
# X-Forwarded-Proto; `manage.py check --deploy` is clean with these (tests/test_deploy.py).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Health checks from the load balancer come in over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^api/v1/health$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# CORS: the phone apps are native (no CORS); a browser front end on another origin is listed here.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])
CORS_URLS_REGEX = r"^/api/.*$"

# Abuse limits (fixed windows in the cache; 429 with Retry-After). Login failures (core/ratelimits.py):
# one phone from one address 10 per 15 minutes; one address over every phone 60 (a village's shared
# NAT); one phone over every address 30, a ceiling that addresses the phone logged in from before are
# exempt from, so that strangers guessing cannot lock the owner out.
RATE_LIMITS = {
    "login_phone_address": (int(os.environ.get("RATE_LOGIN_PHONE_ADDRESS", "10")), 15 * 60),
    "login_phone": (int(os.environ.get("RATE_LOGIN_PHONE", "30")), 15 * 60),
    "login_ip": (int(os.environ.get("RATE_LOGIN_IP", "60")), 15 * 60),
    # A phone's offline queue of photos syncs in bursts: 120 an hour is generous and bounded.
    "upload_user": (int(os.environ.get("RATE_UPLOAD_USER", "120")), 60 * 60),
}
# Proxies in front of the service that append to X-Forwarded-For (0: use the socket's address).
NUM_PROXIES = int(os.environ.get("NUM_PROXIES", "0"))
# Any request body over this is refused before it is read (photos are the largest bodies).
REQUEST_MAX_BYTES = int(os.environ.get("REQUEST_MAX_MB", "16")) * 1024 * 1024

# Overload (docs/security.md). API requests of one user in flight at once, per
# process; the next answers 429 with Retry-After before Django runs (api/asgi_limits.py). Kept under the
# database pool's size, so that one account cannot hold every pooled connection of a worker.
_POOL_MAX = int(os.environ.get("DB_POOL_MAX_SIZE", "16"))
# Half the pool by default (8 of 16): a phone's list of thumbnails fetched in parallel stays within it.
API_USER_MAX_CONCURRENT = int(os.environ.get("API_USER_MAX_CONCURRENT", str(max(2, _POOL_MAX // 2))))
# An exhausted database pool (or a locked SQLite file) answers 503 `overloaded` with this Retry-After.
OVERLOAD_RETRY_AFTER_S = int(os.environ.get("OVERLOAD_RETRY_AFTER_S", "5"))

# Personal information retention (PIPL art. 19: no longer than needed). After these many days the
# photo EXIF position/time is erased and check-in positions are coarsened to ~1 km; the verdicts
# (verified, flags, distance) that the figures rely on stay.
RETENTION_PHOTO_EXIF_DAYS = int(os.environ.get("RETENTION_PHOTO_EXIF_DAYS", "365"))
RETENTION_CHECKIN_TRACK_DAYS = int(os.environ.get("RETENTION_CHECKIN_TRACK_DAYS", "730"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # No token, refresh token or websocket ticket in any line (core/redaction.py): every handler filters.
    "filters": {"redact_secrets": {"()": "core.redaction.RedactSecrets"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_secrets"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own loggers would print every 4xx twice (theirs and ours): one handler, ours.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # uvicorn's loggers, taken over once the app is loaded (in every worker, before it serves): its
        # handshake lines ("WebSocket /ws/notifications/?token=…") and its access log go through the filter.
        "uvicorn": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
