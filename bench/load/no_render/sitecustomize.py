"""The ceiling experiment (``bench/load/run.sh --no-render``): what the mix would reach if
Django's templates cost nothing.

run.sh puts this folder on the served gunicorn's PYTHONPATH, so Python imports this file when
gunicorn starts. Every Django template then renders as an almost empty page, while the work a
page's template would have caused still happens: query sets and pages in its context are
evaluated, the CSRF token is made (the cookie set), the view, the middleware, the session and
the queries are untouched. The page keeps what the simulated people read from it (the
declaration's version, the employer's list of declarations). Never on a real server: it does
nothing unless JIFEN_BENCH_NO_RENDER is set and the process is gunicorn.
"""

import os
import sys


def _install() -> None:
    from django.template.backends import django as backend

    def render(self, context=None, request=None):
        from django.core.paginator import Page
        from django.db.models import QuerySet
        from django.middleware.csrf import get_token

        if request is not None:
            get_token(request)
        out = []
        for key, value in (context or {}).items():
            if isinstance(value, QuerySet):
                value = list(value)
            elif isinstance(value, Page):
                value = list(value.object_list)
            if key == "app" and hasattr(value, "version"):
                out.append(f'<input type="hidden" name="version" value="{value.version}">')
            if key == "applications" and isinstance(value, list):
                out.extend(f'<a href="/my/employer/applications/{a.pk}/">{a.pk}</a>'
                           for a in value)
        return "<!doctype html><html><body>" + "".join(out) + "</body></html>"

    backend.Template.render = render


if os.environ.get("JIFEN_BENCH_NO_RENDER") and "gunicorn" in os.path.basename(sys.argv[0]):
    _install()
