"""The production set-up on this machine without its TLS proxy: ``make serve`` (gunicorn, the
task worker and the scheduler on the local PostgreSQL and Redis) for the fault tests, the
scale-out test and the load benchmark.

Everything is as in ``production`` except that plain HTTP on the loopback address is served
as it is: no redirect to HTTPS, no HSTS, cookies without the Secure flag. It refuses to start
when ALLOWED_HOSTS names anything but this machine, so it cannot be used to serve a network.
"""

from django.core.exceptions import ImproperlyConfigured

from .production import *  # noqa: F403
from .production import ALLOWED_HOSTS

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
if not set(ALLOWED_HOSTS) <= LOOPBACK_HOSTS:
    raise ImproperlyConfigured(
        "jifen.settings.serve answers plain HTTP: ALLOWED_HOSTS may name only 127.0.0.1, "
        "localhost and [::1]. Serve a network with jifen.settings.production behind HTTPS."
    )

SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SECURE_HSTS_PRELOAD = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
