"""Production settings: secrets come from the environment and start-up stops without them.

Required: SECRET_KEY (50+ random characters), FIELD_ENCRYPTION_KEY (64 hex characters),
ALLOWED_HOSTS (comma-separated host names).
Optional: DATABASE_URL (PostgreSQL; SQLite under var/ otherwise), CSRF_TRUSTED_ORIGINS,
BEHIND_TLS_PROXY=1 when a reverse proxy terminates HTTPS and sets X-Forwarded-Proto.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool, env_list, mandatory_env

DEBUG = False

# No demo in production: its accounts share a published password and second-factor secrets.
INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "jifen.demo"]  # noqa: F405

SECRET_KEY = mandatory_env("SECRET_KEY")
# The same test Django's `check --deploy` applies (security.W009), but as a hard stop.
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured("SECRET_KEY is too weak: use at least 50 random characters.")

# Personal data at rest: its own key, never derived from SECRET_KEY in production.
FIELD_ENCRYPTION_KEY = mandatory_env("FIELD_ENCRYPTION_KEY")
try:
    if len(bytes.fromhex(FIELD_ENCRYPTION_KEY)) < 32:
        raise ValueError
except ValueError as exc:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be 64 hexadecimal characters.") from exc

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

# Fingerprinted file names, so static files can be cached for long.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
