"""Where a request's time goes: each endpoint of the load mix through Django's test client
(every middleware, the templates, the real database and cache), with the production settings.

    bench/load/profile_requests.py [--calls 30] [--top 25] [--only NAME] [--sql]

Against the database seeded by bench/load/seed.py (LOAD_DB, default jifen_load; var/load's
keys). For each endpoint: CPU milliseconds per request (process time, so other work on the
machine counts less than in wall time), wall milliseconds, database queries, cache calls; then
cProfile's heaviest functions (cumulative) for the slowest endpoints. No server, no locust:
this is the application's own cost per request.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VAR = Path(os.environ.get("SERVE_VAR", ROOT / "var" / "load"))


def _environment() -> None:
    for line in (VAR / "secrets.env").read_text().splitlines():
        key, _, value = line.partition("=")
        os.environ.setdefault(key, value)
    pg = os.environ.get("LOAD_PG", "postgres://postgres@127.0.0.1:5432")
    os.environ.setdefault("DATABASE_URL", f"{pg}/{os.environ.get('LOAD_DB', 'jifen_load')}")
    os.environ.setdefault("REDIS_URL", os.environ.get("LOAD_REDIS", "redis://127.0.0.1:6379/6"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jifen.settings.serve")
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    os.environ.setdefault("JIFEN_VAR_DIR", str(VAR))
    os.environ.setdefault("AUDIT_CHECKPOINT_DIR", str(VAR / "audit-checkpoints"))


_environment()
import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from jifen.accounts.models import User  # noqa: E402
from jifen.applications.models import Application, Status  # noqa: E402
from jifen.publication.models import Publication  # noqa: E402

HOST = {"SERVER_NAME": "127.0.0.1", "HTTP_HOST": "127.0.0.1"}


class CountingCache:
    """Counts calls to the default cache (get, set, get_many…) during a block."""

    def __init__(self) -> None:
        self.calls = 0
        self._saved: dict[str, Callable] = {}

    def __enter__(self) -> CountingCache:
        for name in ("get", "set", "get_many", "set_many", "delete", "add", "incr", "touch"):
            original = getattr(cache, name)
            self._saved[name] = original

            def counted(*a, _original=original, **k):
                self.calls += 1
                return _original(*a, **k)

            setattr(cache, name, counted)
        return self

    def __exit__(self, *exc: object) -> None:
        for name, original in self._saved.items():
            setattr(cache, name, original)


def _client(user: User) -> Client:
    client = Client(**HOST)
    client.force_login(user)
    return client


def endpoints() -> list[tuple[str, Callable[[], object]]]:
    app = (
        Application.objects.filter(
            status=Status.DRAFT, applicant__user__username__startswith="load-"
        )
        .select_related("applicant__user").order_by("pk").first()
    )
    applicant = _client(app.applicant.user)
    employer = _client(User.objects.filter(employer=app.employer).first())
    visitor = Client(**HOST)
    year = Publication.objects.order_by("-round__year").values_list("round__year", flat=True)[0]
    state = {"version": Application.objects.get(pk=app.pk).version}
    rnd_year = app.round.year

    def autosave():
        fields = {f"tax-{rnd_year - 3 + i}": a for i, a in enumerate(("96000", "80000", "1"))}
        response = applicant.post(
            f"/my/applications/{app.pk}/sections/tax/autosave/",
            {**fields, "version": str(state["version"])},
        )
        state["version"] = json.loads(response.content)["version"]
        return response

    return [
        ("GET /my/", lambda: applicant.get("/my/")),
        ("GET section", lambda: applicant.get(f"/my/applications/{app.pk}/sections/employment/")),
        ("POST autosave", autosave),
        ("GET assessment", lambda: applicant.get(f"/my/applications/{app.pk}/assessment/")),
        ("GET /messages/", lambda: applicant.get("/messages/")),
        ("GET /my/employer/", lambda: employer.get("/my/employer/?status=submitted")),
        ("GET /gongshi/ first page", lambda: visitor.get(f"/gongshi/{year}/")),
        ("GET /gongshi/ page 7", lambda: visitor.get(f"/gongshi/{year}/?page=7")),
        ("GET /gongshi/ search", lambda: visitor.get(f"/gongshi/{year}/?q=王")),
        ("GET /healthz/live", lambda: visitor.get("/healthz/live")),
    ]


def measure(name: str, call: Callable[[], object], calls: int) -> dict:
    for _ in range(3):  # warm: templates compiled, caches filled, pool connections open
        response = call()
    status = getattr(response, "status_code", 0)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(calls):
        call()
    cpu = (time.process_time() - cpu0) / calls * 1000
    wall = (time.perf_counter() - wall0) / calls * 1000
    with CaptureQueriesContext(connection) as queries, CountingCache() as cached:
        call()
    return {"name": name, "status": status, "cpu_ms": cpu, "wall_ms": wall,
            "queries": len(queries), "cache": cached.calls,
            "sql": [q["sql"][:150] for q in queries.captured_queries]}


def profile(call: Callable[[], object], calls: int, top: int, sort: str = "cumulative") -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        call()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats(sort).print_stats(top)
    text = out.getvalue()
    return text[text.index("   ncalls"):] if "   ncalls" in text else text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--profile", type=int, default=3,
                        help="cProfile the slowest N endpoints")
    parser.add_argument("--only", default="", help="endpoints whose name contains this")
    parser.add_argument("--sort", default="cumulative", help="cProfile's order (or tottime)")
    parser.add_argument("--sql", action="store_true", help="print each endpoint's queries")
    args = parser.parse_args(argv)
    chosen = [(n, c) for n, c in endpoints() if args.only in n]
    results = [measure(n, c, args.calls) for n, c in chosen]
    print(f"{'endpoint':<28} {'status':>6} {'CPU ms':>7} {'wall ms':>8} {'queries':>8} "
          f"{'cache':>6}")
    for r in results:
        print(f"{r['name']:<28} {r['status']:>6} {r['cpu_ms']:>7.1f} {r['wall_ms']:>8.1f} "
              f"{r['queries']:>8} {r['cache']:>6}")
        if args.sql:
            for q in r["sql"]:
                print(f"      {q}")
    by_name = dict(chosen)
    for r in sorted(results, key=lambda r: -r["cpu_ms"])[: args.profile]:
        print(f"\n=== {r['name']}: cProfile over {args.calls} requests, by {args.sort}")
        print(profile(by_name[r["name"]], args.calls, args.top, args.sort))
    return 0


if __name__ == "__main__":
    sys.exit(main())
