#!/usr/bin/env bash
# The production set-up on this machine (`make serve`): gunicorn with several workers, the task
# worker and the scheduler as their own processes, on the local PostgreSQL and Redis, with the
# settings jifen.settings.serve (production's, plain HTTP on loopback). docs/deploy.md.
#
# Environment (all optional):
#   PORT=8000  HOST=127.0.0.1             where gunicorn listens
#   SERVE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/jifen   created when missing
#   SERVE_REDIS_URL=redis://127.0.0.1:6379/1                      empty: the database cache
#   SERVE_VAR=var/serve                   secrets, logs, evidence, static files of this set-up
#   SERVE_WORKER=1 SERVE_SCHEDULER=1      0: this process serves requests only (a second node)
#   SERVE_MIGRATE=1                       0: skip migrate/collectstatic (a second node)
#   SERVE_FRONT=nginx                     nginx in front on PORT as in production
#                                         (deploy/nginx/jifen.conf on plain HTTP: static files,
#                                         the public list's cache), gunicorn on SERVE_APP_PORT
#                                         (PORT + 1); needs Debian's nginx (make deploy-deps)
#   GUNICORN_WORKERS, GUNICORN_THREADS, DATABASE_POOL_MAX_SIZE ...  (deploy/gunicorn/)
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
SERVE_VAR=${SERVE_VAR:-var/serve}
mkdir -p "$SERVE_VAR"
SERVE_VAR=$(cd "$SERVE_VAR" && pwd)

# Secrets: made once per machine, kept out of the repository (var/ is ignored), readable by
# this user only. A deployment puts its own in the service's environment instead.
SECRETS="$SERVE_VAR/secrets.env"
if [ ! -s "$SECRETS" ]; then
    umask 077
    "$BIN/python" - > "$SECRETS" <<'PY'
import secrets
print(f"SECRET_KEY={secrets.token_urlsafe(64)}")
print(f"FIELD_ENCRYPTION_KEY={secrets.token_hex(32)}")
print(f"AUDIT_CHAIN_KEY={secrets.token_hex(32)}")
PY
fi
set -a
# shellcheck disable=SC1090
. "$SECRETS"
set +a

export DJANGO_SETTINGS_MODULE=jifen.settings.serve
export DATABASE_URL=${SERVE_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/jifen}
export REDIS_URL=${SERVE_REDIS_URL-redis://127.0.0.1:6379/1}
export DATABASE_POOL_MAX_SIZE=${DATABASE_POOL_MAX_SIZE:-8}
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost}
export JIFEN_VAR_DIR="$SERVE_VAR"
export AUDIT_CHECKPOINT_DIR=${AUDIT_CHECKPOINT_DIR:-$SERVE_VAR/audit-checkpoints}
# gunicorn's workers add up their metrics through this folder (deploy/gunicorn/); the worker,
# the scheduler and the commands below keep their own.
METRICS_DIR=${PROMETHEUS_MULTIPROC_DIR:-$SERVE_VAR/prometheus-$PORT}
unset PROMETHEUS_MULTIPROC_DIR
FRONT=${SERVE_FRONT:-}
case "$FRONT" in
    "") APP_PORT=$PORT ;;
    nginx)
        NGINX=$(command -v nginx || echo /usr/sbin/nginx)
        [ -x "$NGINX" ] || { echo "serve.sh: SERVE_FRONT=nginx needs nginx (make deploy-deps)" >&2; exit 2; }
        APP_PORT=${SERVE_APP_PORT:-$((PORT + 1))}
        # nginx overwrites X-Forwarded-For with the address it saw (deploy/nginx/jifen-proxy.conf):
        # the lock-out, the throttles and the audit log count the client, not nginx.
        export AUDIT_TRUST_X_FORWARDED_FOR=1
        ;;
    *) echo "serve.sh: SERVE_FRONT is nginx or empty, not $FRONT" >&2; exit 2 ;;
esac
export GUNICORN_BIND="$HOST:$APP_PORT"
# Each server's own control socket (gunicornc), never the per-user default two nodes would share.
export GUNICORN_CONTROL_SOCKET=${GUNICORN_CONTROL_SOCKET:-$SERVE_VAR/gunicorn-$PORT.ctl}

if [ "${SERVE_MIGRATE:-1}" != 0 ]; then
    # The database itself, when it is not there yet (PostgreSQL only).
    "$BIN/python" - <<'PY'
import os
import dj_database_url
import psycopg
from psycopg import sql

cfg = dj_database_url.parse(os.environ["DATABASE_URL"])
if cfg["ENGINE"].endswith("postgresql"):
    params = dict(host=cfg["HOST"] or None, port=cfg["PORT"] or None, user=cfg["USER"] or None,
                  password=cfg["PASSWORD"] or None)
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            [cfg["NAME"]]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(cfg["NAME"])))
            print(f"created database {cfg['NAME']}")
PY
    "$BIN/python" manage.py migrate --noinput --verbosity 0
    "$BIN/python" manage.py createcachetable
    "$BIN/python" manage.py collectstatic --noinput --verbosity 0
fi

pids=()
cleanup() {
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

mkdir -p "$SERVE_VAR/log"
if [ "${SERVE_WORKER:-1}" != 0 ]; then
    "$BIN/python" manage.py task_worker >> "$SERVE_VAR/log/db_worker.out" 2>&1 &
    pids+=($!)
fi
if [ "${SERVE_SCHEDULER:-1}" != 0 ]; then
    "$BIN/python" manage.py run_scheduler >> "$SERVE_VAR/log/scheduler.out" 2>&1 &
    pids+=($!)
fi

if [ "$FRONT" = nginx ]; then
    CONF=$("$BIN/python" deploy/nginx/local_front.py --listen "$HOST:$PORT" \
        --app "$HOST:$APP_PORT" --static "$SERVE_VAR/staticfiles" --dir "$SERVE_VAR/nginx-$PORT" \
        --workers "${SERVE_NGINX_WORKERS:-1}")
    "$NGINX" -p "$SERVE_VAR/nginx-$PORT" -e "$SERVE_VAR/nginx-$PORT/error.log" -c "$CONF" &
    pids+=($!)
    echo "  nginx in front on $HOST:$PORT, gunicorn on $HOST:$APP_PORT"
fi
echo "  北京市积分落户管理信息系统 (production set-up): http://$HOST:$PORT/   (Ctrl-C stops it)"
echo "  database $DATABASE_URL, cache ${REDIS_URL:-database table}, files in $SERVE_VAR"
PROMETHEUS_MULTIPROC_DIR="$METRICS_DIR" "$BIN/gunicorn" -c deploy/gunicorn/gunicorn.conf.py &
pids+=($!)
wait "${pids[-1]}"
