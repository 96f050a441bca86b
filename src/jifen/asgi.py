"""ASGI entry point.

Defaults to production settings, so that a server never runs with DEBUG by accident.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jifen.settings.production")

application = get_asgi_application()
