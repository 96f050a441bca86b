"""gunicorn's configuration for jifen (``gunicorn -c deploy/gunicorn/gunicorn.conf.py``).

Every figure can be set from the environment (GUNICORN_*), so ``make serve`` and a deployment
share this file; docs/deploy.md explains the choices.
"""

import os
import shutil
from pathlib import Path

wsgi_app = "jifen.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")

# Synchronous workers, a few threads each: the requests are short and mostly wait on the
# database, and a thread costs far less memory than a process. 2 x cores + 1 processes.
workers = int(os.environ.get("GUNICORN_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# A request taking longer than this is killed and logged (the scoring run and comparisons run
# in the task worker, never in a request).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Workers are renewed after this many requests (a slow leak never grows for long); the jitter
# keeps them from renewing all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "500"))
# Request bodies: the department record files may be up to COMPARISON_MAX_BYTES; the header
# limits stay gunicorn's (they refuse oversized request lines and headers with 400).
limit_request_line = 8190

# Django writes the access log itself (JSON lines in LOG_DIR, with the request id and user);
# gunicorn's own messages go to stderr.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
proc_name = "jifen"

# gunicorn's control socket (gunicornc) defaults to one path per user (~/.gunicorn/gunicorn.ctl),
# which several servers on one machine would take from each other: each gets its own path
# (serve.sh puts it under SERVE_VAR), and none at all unless one is named.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]

# The proxy in front (nginx, docs/deploy.md) sets X-Forwarded-*; trust it only from here.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Python's cyclic garbage collector, tuned for a server: a request makes tens of thousands of
# short-lived objects, so at the default threshold (700 allocations) the collector runs dozens
# of times a request, and its older generations' runs walk the long-lived objects too (Django,
# the URL patterns, the compiled templates). Each worker freezes what it holds once loaded (never
# scanned again) and runs the collector after GUNICORN_GC_THRESHOLD allocations (measured in
# docs/benchmarks.md). "0" leaves Python's defaults. Read here, so a malformed value stops
# gunicorn at start-up instead of every worker as it boots.
_gc = os.environ.get("GUNICORN_GC_THRESHOLD", "50000,20,100").strip()
gc_threshold = None if _gc in ("", "0") else tuple(int(n) for n in _gc.split(","))


def post_worker_init(worker):
    if gc_threshold is None:
        return
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(*gc_threshold)


# --- metrics of every worker (prometheus_client's multiprocess mode) ----------------------------
# Each worker writes its figures to PROMETHEUS_MULTIPROC_DIR and /metrics adds them up; the
# folder is emptied when the server starts, and a dead worker's gauges are dropped.


def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
