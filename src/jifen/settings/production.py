"""Production settings: secrets come from the environment and start-up stops without them.

Required: SECRET_KEY (50+ random characters), FIELD_ENCRYPTION_KEY and AUDIT_CHAIN_KEY (each
64 hex characters of random bytes, different from each other; weak keys are refused),
ALLOWED_HOSTS (comma-separated host names).
Optional: DATABASE_URL (PostgreSQL; SQLite under var/ otherwise) with DATABASE_POOL_MAX_SIZE
(psycopg's connection pool per process), REDIS_URL (the shared cache; a database table
otherwise), CSRF_TRUSTED_ORIGINS, BEHIND_TLS_PROXY=1 when a reverse proxy terminates HTTPS and
sets X-Forwarded-Proto. docs/deploy.md describes the whole set-up.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from jifen.core.key_strength import weak_key_message

from .base import *  # noqa: F403
from .base import env_bool, env_list, mandatory_env

DEBUG = False

# No demo in production: its accounts share a published password and second-factor secrets.
INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "jifen.demo"]  # noqa: F405

SECRET_KEY = mandatory_env("SECRET_KEY")
# The same test Django's `check --deploy` applies (security.W009), but as a hard stop.
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured("SECRET_KEY is too weak: use at least 50 random characters.")


def _strong_key(name: str) -> str:
    """A hex key from the environment; start-up stops when it is missing or weak (all zero,
    repetitive, a counting sequence, text, too few distinct bytes)."""
    value = mandatory_env(name)
    message = weak_key_message(name, value)
    if message is not None:
        raise ImproperlyConfigured(message)
    return value


# Personal data at rest and the audit chain: their own keys, never derived from SECRET_KEY.
FIELD_ENCRYPTION_KEY = _strong_key("FIELD_ENCRYPTION_KEY")
AUDIT_CHAIN_KEY = _strong_key("AUDIT_CHAIN_KEY")
if bytes.fromhex(AUDIT_CHAIN_KEY) == bytes.fromhex(FIELD_ENCRYPTION_KEY):
    raise ImproperlyConfigured("AUDIT_CHAIN_KEY must differ from FIELD_ENCRYPTION_KEY.")
# audit_verify fails while the log has no checkpoint outside the database (docs/audit.md).
AUDIT_CHECKPOINT_REQUIRED = True

# Password-reset codes by SMS: only through a real gateway (never the development console).
SMS_BACKEND = os.environ.get("SMS_BACKEND", "jifen.accounts.sms.DisabledBackend")
if SMS_BACKEND == "jifen.accounts.sms.ConsoleBackend":
    raise ImproperlyConfigured("SMS_BACKEND must not be the console backend in production.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("The environment variable ALLOWED_HOSTS must be set.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# HTTPS only.
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
if env_bool("BEHIND_TLS_PROXY"):
    # Only safe when the proxy overwrites this header on every request.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The load balancer's probes reach the health endpoints over plain HTTP on the private
# network, and Prometheus scrapes /metrics from this machine: no redirect to HTTPS for them.
SECURE_REDIRECT_EXEMPT = [r"^healthz/", r"^metrics$"]

# Static files served by the application (WhiteNoise, right after SecurityMiddleware): hashed
# names cached for a year, gzip and brotli copies made by collectstatic.
MIDDLEWARE = list(MIDDLEWARE)  # noqa: F405
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Sessions written through the shared cache to the database: every application process sees
# them, reads come from the cache, and a restarted cache loses no one's login.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
