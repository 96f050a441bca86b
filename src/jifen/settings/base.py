"""Base settings shared by every environment (local development uses them as they are)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from jifen.ops.logging_setup import logging_config

# src/jifen/settings/base.py -> the repository root (editable install from a clone).
BASE_DIR = Path(__file__).resolve().parents[3]
# Everything the running system writes (SQLite file, collected static files) lives here; gitignored.
VAR_DIR = Path(os.environ.get("JIFEN_VAR_DIR", BASE_DIR / "var"))


# --- environment helpers (also used by production.py) ----------------------------------------


def env_bool(name: str, default: bool = False) -> bool:
    """Read a yes/no environment variable ("1", "true", "yes", "on" mean yes)."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Read a comma-separated environment variable into a list, dropping blanks."""
    value = os.environ.get(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def mandatory_env(name: str) -> str:
    """Return a required environment variable or stop start-up with a clear message."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"The environment variable {name} must be set.")
    return value


def database_config(environ: Mapping[str, str], var_dir: Path) -> dict[str, Any]:
    """The default database: PostgreSQL (or any dj-database-url URL) from DATABASE_URL,
    otherwise an SQLite file under ``var_dir``."""
    url = environ.get("DATABASE_URL", "").strip()
    if url:
        pool_size = int(environ.get("DATABASE_POOL_MAX_SIZE", "0") or 0)
        config = dict(
            dj_database_url.parse(
                url,
                # A pool keeps the connections itself; persistent connections must then be off.
                conn_max_age=0 if pool_size else int(environ.get("DATABASE_CONN_MAX_AGE", "0")),
                # With a pool, this makes psycopg check a connection before handing it out.
                conn_health_checks=True,
            )
        )
        check_ms = int(environ.get("DATABASE_CLIENT_CHECK_MS", "2000") or 0)
        if check_ms and config["ENGINE"] == "django.db.backends.postgresql":
            # PostgreSQL cancels the statement of a client that died (a worker killed while
            # its statement waited on a lock) instead of letting it run on and commit on its
            # own after the job was marked failed. PostgreSQL 14 or later.
            config.setdefault("OPTIONS", {})["options"] = (
                f"-c client_connection_check_interval={check_ms}"
            )
        if pool_size and config["ENGINE"] == "django.db.backends.postgresql":
            _steady_pool_reconnects()
            # psycopg's connection pool, per process (Django >= 5.1): a request borrows a
            # connection and gives it back at its end, and a connection the server dropped
            # (PostgreSQL restarted) is checked and replaced before it is handed out.
            config.setdefault("OPTIONS", {})["pool"] = {
                "min_size": int(environ.get("DATABASE_POOL_MIN_SIZE", "1") or 1),
                "max_size": pool_size,
                # How long a request waits for a free connection before it fails (seconds).
                "timeout": float(environ.get("DATABASE_POOL_TIMEOUT", "10") or 10),
            }
        return config
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": var_dir / "jifen.sqlite3",
        "OPTIONS": {
            # IMMEDIATE avoids "database is locked" when two requests write at once.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }


def _steady_pool_reconnects() -> None:
    """While PostgreSQL is away, psycopg's pool retries a connection after 1, 2, 4, 8 … s; after
    an outage of a few seconds its next try could be 8 s off, and requests made after the server
    was back waited for it and failed (tests/serving/test_faults_postgres_restart.py). A try
    every second instead (one connection attempt a second per process while the server is away;
    psycopg_pool has no parameter for it, hence its class constant)."""
    from psycopg_pool.base import AttemptWithBackoff

    AttemptWithBackoff.DELAY_BACKOFF = 1.0


def cache_config(environ: Mapping[str, str]) -> dict[str, Any]:
    """The shared cache: Redis from REDIS_URL, otherwise a table in the default database.

    Never a per-process memory cache: login throttles and lock-outs must hold across every
    application process (``make run`` and tests use the database table, ``createcachetable``).
    """
    url = environ.get("REDIS_URL", "").strip()
    if url:
        return {
            # Django's backend reusing its Redis clients (jifen.core.redis_cache: CPU per call).
            "BACKEND": "jifen.core.redis_cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "jifen",
        }
    return {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "jifen_cache",
        "KEY_PREFIX": "jifen",
    }


# --- core ----------------------------------------------------------------------------------

# Development default only; production.py requires SECRET_KEY from the environment.
SECRET_KEY = os.environ.get("SECRET_KEY") or "django-insecure-local-development-only-not-secret"
DEBUG = env_bool("DJANGO_DEBUG", default=True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])

DJANGO_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
THIRD_PARTY_APPS: list[str] = [
    "ninja",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "django_structlog",
    "django_prometheus",
]
LOCAL_APPS = [
    "jifen.web",
    "jifen.audit",
    "jifen.accounts",
    "jifen.rounds",
    "jifen.applications",
    "jifen.review",
    "jifen.inbox",
    "jifen.stats",
    "jifen.publication",
    "jifen.ops",
    # Personal data's life cycle: retention, the applicant's download, corrections (PIPL).
    "jifen.privacy",
    "jifen.api",
    # The demo round (manage.py demo_round); production.py leaves it out.
    "jifen.demo",
]
AUTH_USER_MODEL = "accounts.User"

# Background jobs: rows in the database, run by `manage.py task_worker` (make run starts one).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "web:home"
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    # Request counts and latencies for /metrics (its pair is the last but one).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The request id and the access log's line (jifen.ops.observability).
    "django_structlog.middlewares.RequestMiddleware",
    "jifen.web.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The idle time-out's expiry pushed forward once a minute, not written on every request.
    "jifen.accounts.session_refresh.SessionRefreshMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the second factor (TOTP).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "jifen.audit.middleware.AuditContextMiddleware",
    # Sessions end 8 hours after their login (SESSION_ABSOLUTE_AGE).
    "jifen.accounts.middleware.SessionLifetimeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Staff sessions without the second factor reach only the second-factor pages.
    "jifen.accounts.middleware.StaffSecondFactorMiddleware",
    # A temporary password (given by the security administrator) is changed before anything else.
    "jifen.accounts.middleware.PasswordChangeRequiredMiddleware",
    # A page's NotFound/NotPermitted (and any service error it did not show) → 404/403 page.
    "jifen.web.middleware.ServiceErrorMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes requires: turns a locked-out login attempt into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jifen.urls"
WSGI_APPLICATION = "jifen.wsgi.application"
ASGI_APPLICATION = "jifen.asgi.application"

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
                # The header's 站内消息 entry and its unread count.
                "jifen.inbox.context_processors.inbox",
            ],
        },
    },
]

# --- database ------------------------------------------------------------------------------

DATABASES = {"default": database_config(os.environ, VAR_DIR)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite will not create the folder of its file itself.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
# django-prometheus' wrappers of the same backends count queries, errors and their durations.
DATABASES["default"]["ENGINE"] = {
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
}.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": cache_config(os.environ)}

# --- passwords and sessions ----------------------------------------------------------------

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Django's rules with Chinese messages, plus: not only spaces or one repeated character
# (jifen.accounts.passwords).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "jifen.accounts.passwords.UserAttributeSimilarityValidator"},
    {
        "NAME": "jifen.accounts.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},  # OWASP ASVS level 2
    },
    {"NAME": "jifen.accounts.passwords.CommonPasswordValidator"},
    {"NAME": "jifen.accounts.passwords.NumericPasswordValidator"},
    {"NAME": "jifen.accounts.passwords.NotTrivialValidator"},
]

# How long the reverse proxy may keep a visitor's page of the public list (公示名单) and its
# API answer (jifen.publication.page_cache; deploy/nginx/jifen-public-cache.conf): the
# opening day's busiest page, the same for everyone. 0: never.
PUBLIC_LIST_PROXY_SECONDS = int(os.environ.get("PUBLIC_LIST_PROXY_SECONDS", "5") or 0)

# Idle time-out of 30 minutes: a request pushes the expiry forward when the last push is a
# minute old (jifen.accounts.session_refresh: not a database write on every request).
SESSION_COOKIE_AGE = 30 * 60
SESSION_REFRESH_SECONDS = 60
# Absolute lifetime: a session ends 8 hours after its login however busy it is
# (jifen.accounts.middleware.SessionLifetimeMiddleware).
SESSION_ABSOLUTE_AGE = timedelta(hours=8)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- login lock-out (django-axes; 等保2.0 三级 登录失败处理, OWASP ASVS 2.2.1) ------------------

# AxesStandaloneBackend refuses locked-out accounts before ModelBackend checks the password; it
# needs the request, so every authenticate() call must pass request=request.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the applicant profile or employer with the account.
    "jifen.accounts.backends.AccountBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
# Count failures per ACCOUNT AND ADDRESS: five wrong passwords lock that account for that
# address only, so nobody can lock the owner out by failing on purpose from elsewhere
# (OWASP ASVS 2.2.1). One address trying many accounts and one account tried from many
# addresses are handled by jifen.accounts.throttle (the handler below), numbers in
# LOGIN_THROTTLE. `manage.py axes_reset_username NAME` (or the security administrator's
# 解除锁定) ends an account's lock-outs early.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "jifen.accounts.throttle.LoginThrottleHandler"
# One row per failure (the sliding windows per address and per account); the handler writes
# one per successful login itself (the addresses an account is known to sign in from) and
# prunes both.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_DISABLE_ACCESS_LOG = True
LOGIN_THROTTLE = {
    "ADDRESS_FAILURE_LIMIT": 20,  # failures of one address on any accounts ...
    "ADDRESS_WINDOW": timedelta(minutes=10),  # ... within this time ...
    "ADDRESS_BLOCK": timedelta(minutes=15),  # ... stop it this long after its last failure
    "ACCOUNT_FAILURE_LIMIT": 10,  # failures on one account from any addresses ...
    "ACCOUNT_WINDOW": timedelta(hours=1),  # ... within this time: unknown addresses wait
    "ACCOUNT_DELAY": timedelta(seconds=30),  # ... this long, doubling per further failure,
    "ACCOUNT_DELAY_MAX": timedelta(minutes=10),  # ... at most this
    "KNOWN_ADDRESS_DAYS": 90,  # addresses the account signed in from: never delayed
}
# Refused attempts are not counted: retrying during a lock-out never extends it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# HTML page with AXES_LOCKOUT_TEMPLATE, or the API's JSON error under /api/ (HTTP 429 both,
# with Retry-After).
AXES_LOCKOUT_CALLABLE = "jifen.accounts.lockout.lockout_response"
# The same client address as the audit log (honours AUDIT_TRUST_X_FORWARDED_FOR).
AXES_CLIENT_IP_CALLABLE = "jifen.accounts.lockout.client_ip_address"

# --- text messages (jifen.accounts.sms): the password-reset codes -----------------------------

# Development prints them to the console log; production.py refuses to send (no gateway yet)
# unless SMS_BACKEND names a real one.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "jifen.accounts.sms.ConsoleBackend")
PASSWORD_RESET = {
    "CODE_LIFETIME": timedelta(minutes=10),
    "CODE_ATTEMPTS": 5,  # wrong codes before the code is void
    "PER_ACCOUNT_PER_HOUR": 3,  # codes sent to one account
    "PER_ADDRESS_PER_HOUR": 10,  # requests from one address, matching an account or not
}

# --- second factor for staff (等保2.0 三级 双因素鉴别; jifen.accounts.second_factor) ------------

# Staff accounts sign in with their password and then a 6-digit TOTP code from an
# authenticator app (django-otp). The issuer is the name the app shows next to the account.
OTP_TOTP_ISSUER = "北京市积分落户管理信息系统"
# After each wrong code the next attempt must wait 1, 2, 4, 8 ... seconds (django-otp's
# throttling, per device; a success resets it).
OTP_TOTP_THROTTLE_FACTOR = 1

# --- personal data and evidence files ---------------------------------------------------------

# Key of the SM4 field encryption and blind indexes (64 hex characters). The development
# default is derived from SECRET_KEY; production.py requires its own.
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY") or __import__("hashlib").sha256(
    SECRET_KEY.encode()
).hexdigest()
# Evidence files live outside the web root and are served only through a permission check.
EVIDENCE_ROOT = Path(os.environ.get("JIFEN_EVIDENCE_ROOT", VAR_DIR / "evidence"))
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_MAX_FILES = 100
# Training material (培训材料, jifen.ops.training): encrypted like the evidence, its own folder.
TRAINING_ROOT = Path(os.environ.get("JIFEN_TRAINING_ROOT", VAR_DIR / "training"))
# DATA_UPLOAD_MAX_MEMORY_SIZE counts a request's fields but not its files; a file above
# FILE_UPLOAD_MAX_MEMORY_SIZE is streamed to a temporary file on disk (Django's
# TemporaryFileUploadHandler), so a 200 MB record file never sits in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# The departments' record files for the data comparison (数据比对): at most this size; kept
# outside the web root while their comparison runs and deleted after it (the run keeps the
# name, size and SHA-256). A proxy in front must allow request bodies this large.
COMPARISON_MAX_BYTES = 200 * 1024 * 1024
COMPARISON_UPLOAD_ROOT = Path(
    os.environ.get("JIFEN_COMPARISON_UPLOAD_ROOT", VAR_DIR / "comparison-uploads")
)
# True: the comparison runs in the request that uploaded it, not in a background thread.
COMPARISON_RUN_INLINE = False
AUDIT_TRUST_X_FORWARDED_FOR = env_bool("AUDIT_TRUST_X_FORWARDED_FOR", default=False)

# --- backups (jifen.ops.backups; docs/operations.md "Backups") --------------------------------
# Encrypted backup files (with FIELD_ENCRYPTION_KEY: keep that key elsewhere too, a backup
# cannot be read without it) and their sidecars. Put it on another disk in production.
BACKUP_DIR = Path(os.environ.get("JIFEN_BACKUP_DIR", VAR_DIR / "backups"))
# PostgreSQL: pgBackRest's stanza; pgBackRest reads the rest of its configuration from its
# file (deploy/pgbackrest/) or its PGBACKREST_* environment variables.
PGBACKREST_STANZA = os.environ.get("PGBACKREST_STANZA", "jifen")
PGBACKREST_BIN = os.environ.get("JIFEN_PGBACKREST_BIN", "pgbackrest")
# The PostgreSQL server programs (initdb, pg_ctl) the recovery drill starts a scratch server with.
PG_BINDIR = Path(os.environ.get("JIFEN_PG_BINDIR", "/usr/lib/postgresql/15/bin"))

# --- statistics (jifen.stats; docs/statistics.md) ---------------------------------------------
# Ad-hoc statistics (应急统计): groups of fewer people than this are never shown; each question
# runs read-only and is stopped after this many seconds.
STATS_MIN_GROUP = int(os.environ.get("JIFEN_STATS_MIN_GROUP", "10"))
STATS_ADHOC_TIMEOUT_SECONDS = float(os.environ.get("JIFEN_STATS_ADHOC_TIMEOUT", "10"))
# What-if (模拟测算) is computed in the request: rounds with more applications are refused.
STATS_WHATIF_MAX = int(os.environ.get("JIFEN_STATS_WHATIF_MAX", "20000"))

# --- the audit log's keys and checkpoints (docs/audit.md) ------------------------------------

# Key of the audit chain's HMAC-SM3, its checkpoints and its value fingerprints (64 hex
# characters). Never stored in the database. The development default is derived from
# SECRET_KEY (differently from FIELD_ENCRYPTION_KEY's); production.py requires its own.
AUDIT_CHAIN_KEY = os.environ.get("AUDIT_CHAIN_KEY") or __import__("hashlib").sha256(
    b"jifen audit chain:" + SECRET_KEY.encode()
).hexdigest()
# Signed checkpoints of the chain head are appended here (manage.py audit_checkpoint); a
# deployment puts it where the database role cannot write (docs/audit.md).
AUDIT_CHECKPOINT_DIR = Path(os.environ.get("AUDIT_CHECKPOINT_DIR", VAR_DIR / "audit-checkpoints"))
# True: audit_verify fails while no checkpoint exists (production.py sets it).
AUDIT_CHECKPOINT_REQUIRED = env_bool("AUDIT_CHECKPOINT_REQUIRED", default=False)
# Refused requests: at most this many individual events per source (account or address) and
# reason in each window; the rest are counted in the cache and written as one summary event.
AUDIT_REFUSALS_PER_WINDOW = 20
AUDIT_REFUSAL_WINDOW_SECONDS = 60

# --- security headers (production.py adds HTTPS-only settings) ------------------------------

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Sent by jifen.web.middleware.SecurityHeadersMiddleware. Everything is served from our own
# origin: no CDN, no inline scripts or styles.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

# --- internationalisation -------------------------------------------------------------------

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static files ---------------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"

# --- logging: JSON lines in LOG_DIR (access, error, login), readable lines on stderr ------------
# (jifen.ops.logging_setup; docs/operations.md "Log files"). The files are rotated daily by the
# scheduler's rotate_logs job and kept as long as the retention parameters say.

LOG_DIR = Path(os.environ.get("JIFEN_LOG_DIR", VAR_DIR / "log"))
LOGGING: dict[str, Any] = logging_config(LOG_DIR, tz=TIME_ZONE)
# django-structlog: a request id per request (or the proxy's X-Request-ID), the user's id; the
# address is bound by jifen.ops.observability (the audit log's, not ipware's guess from headers).
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False
DJANGO_STRUCTLOG_USER_ID_FIELD = "pk"
DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL = 10  # logging.DEBUG: not written
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = env_bool("JIFEN_TRUST_REQUEST_ID", default=False)

# --- metrics (django-prometheus; /metrics is for this machine and operators only) -------------

PROMETHEUS_EXPORT_MIGRATIONS = False

# --- faults (docs/faults.md) ----------------------------------------------------------------
# Task workers (manage.py task_worker) write a heartbeat this often; a RUNNING job whose worker
# was not heard of for TASK_WORKER_STALE_SECONDS is marked failed (jifen.ops.task_workers).
TASK_WORKER_HEARTBEAT_SECONDS = float(os.environ.get("TASK_WORKER_HEARTBEAT_SECONDS", "10"))
TASK_WORKER_STALE_SECONDS = float(os.environ.get("TASK_WORKER_STALE_SECONDS", "60"))
