"""Health endpoints for load balancers and monitoring.

/healthz/live: the process answers (no dependencies touched).
/healthz/ready: the process can serve: the readiness checks of jifen.ops.health_checks (database,
cache, disk critical; task worker, backup age, audit chain verification reported as warnings).

``check_database`` and ``unapplied_migrations`` also feed the operators' workbench (/staff/).
"""

import logging

from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


def check_database(alias: str = "default") -> dict[str, str]:
    """Run a trivial query; on failure return the error's type only (details go to the log,
    since connection errors can name hosts and users)."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not ready"
        logger.exception("readiness check: database %r failed", alias)
        return {"status": "error", "error": type(exc).__name__}
    return {"status": "ok"}


def unapplied_migrations(alias: str = "default") -> list[str] | None:
    """Names of migrations not applied yet (None when the check itself failed)."""
    try:
        executor = MigrationExecutor(connections[alias])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception:  # the database is unreachable: reported by the database check
        return None
    return [f"{m.app_label}.{m.name}" for m, _backwards in plan]


@never_cache
@require_safe
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def ready(request: HttpRequest) -> JsonResponse:
    """The readiness checks of :mod:`jifen.ops.health_checks`: 503 naming the failing critical
    checks (``failing``), 200 with ``warnings`` otherwise. The checks' messages only for this
    machine and operators (as /metrics); anyone else, the load balancer included, gets the
    statuses."""
    from jifen.ops.health_checks import run_checks
    from jifen.ops.views.monitoring import metrics_allowed

    readiness = run_checks()
    body = readiness.as_json(detail=metrics_allowed(request))
    return JsonResponse(body, status=200 if readiness.ok else 503)
