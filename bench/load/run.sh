#!/usr/bin/env bash
# The opening-day load benchmark in one command (docs/benchmarks.md, "Opening-day load"):
#
#   bench/load/run.sh --minutes 10          # the lead's run: 10 minutes of the mix, then the list
#   bench/load/run.sh --minutes 1 --public-seconds 30   # a short run while developing
#
# 1. a fresh PostgreSQL database (LOAD_DB, default jifen_load) and Redis database (LOAD_REDIS),
# 2. the production set-up on this machine (deploy/serve.sh: nginx in front as in production,
#    gunicorn, task worker, scheduler) on PORT (default 8221; gunicorn on PORT + 1),
# 3. bench/load/seed.py: applicants with drafts, employers, last year's list on public show,
# 4. locust headless: the mix (ApplicantUser, EmployerUser, PublicListUser) — first the ramp,
#    every simulated person starting and signing in (users / rate seconds, not counted: locust's
#    --reset-stats), then --minutes of it with everyone signed in — and after it the public list
#    alone (PublicListOnly, no think time) for --public-seconds,
# 5. bench/load/summary.py: requests/s, p50/p95/p99, failures, per endpoint, and the CPU taken
#    by locust itself and by the server on the same cores.
#
# Options: --seconds N (the mix's length in seconds instead) --users N (450) --rate R (users
#   started a second, 3: each signs in once, and an Argon2 login costs about 0.3 s of CPU)
#   --public-users N (60) --processes N (locust processes, 1) --applicants N (800)
#   --workers N --threads N (gunicorn; default 3 × cores processes of 1 thread)
#   --no-front (gunicorn alone on PORT, no nginx: the application's own capacity)
#   --keep (leave the server running and the database in place at the end)
#   --no-render (the ceiling experiment: the served templates render an almost empty page,
#     everything else as ever — bench/load/no_render/; what a free template engine would give)
# Needs `make load-deps` (locust). Output in bench/out/load/<time>/.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BIN=$ROOT/.venv/bin

MINUTES=10 USERS=450 RATE=3 PUBLIC_SECONDS=60 PUBLIC_USERS=60 PROCESSES=1 APPLICANTS=800
KEEP=0 SECONDS_MIX= FRONT=nginx
# Single-threaded gunicorn processes, three a core (docs/benchmarks.md): behind nginx nothing
# needs gthread's threads for slow clients, and on two cores 6 × 1 and 4 × 1 served 5–20 % more
# of the mix for the same CPU than 3 processes × 4 threads (the threads contend for the GIL).
export GUNICORN_WORKERS=${GUNICORN_WORKERS:-$(( $(nproc) * 3 ))}
export GUNICORN_THREADS=${GUNICORN_THREADS:-1}
while [ $# -gt 0 ]; do
    case "$1" in
        --minutes) MINUTES=$2; shift ;;
        --seconds) SECONDS_MIX=$2; shift ;;
        --users) USERS=$2; shift ;;
        --rate) RATE=$2; shift ;;
        --public-seconds) PUBLIC_SECONDS=$2; shift ;;
        --public-users) PUBLIC_USERS=$2; shift ;;
        --processes) PROCESSES=$2; shift ;;
        --applicants) APPLICANTS=$2; shift ;;
        --workers) export GUNICORN_WORKERS=$2; shift ;;
        --threads) export GUNICORN_THREADS=$2; shift ;;
        --keep) KEEP=1 ;;
        --no-front) FRONT= ;;
        --no-render)
            export JIFEN_BENCH_NO_RENDER=1
            export PYTHONPATH="$ROOT/bench/load/no_render${PYTHONPATH:+:$PYTHONPATH}" ;;
        -h|--help) sed -n '2,/^set/p' "$0" | grep '^#'; exit 0 ;;
        *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[ -x "$BIN/locust" ] || { echo "run.sh: locust is missing: make load-deps" >&2; exit 2; }

PORT=${PORT:-8221}
LOAD_DB=${LOAD_DB:-jifen_load}
PG=${LOAD_PG:-postgres://postgres@127.0.0.1:5432}
REDIS=${LOAD_REDIS:-redis://127.0.0.1:6379/6}
OUT=${LOAD_OUT:-bench/out/load/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
export SERVE_VAR=${SERVE_VAR:-$ROOT/var/load}

echo "load: fresh database $LOAD_DB and Redis $REDIS"
"$BIN/python" - "$PG/postgres" "$LOAD_DB" "$REDIS" <<'PY'
import sys
import psycopg
import redis
from psycopg import sql
url, name, redis_url = sys.argv[1:]
with psycopg.connect(url, autocommit=True) as conn:
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
redis.Redis.from_url(redis_url).flushdb()
PY
rm -rf "$SERVE_VAR/evidence"

if [ -n "$FRONT" ] && ! command -v nginx > /dev/null && [ ! -x /usr/sbin/nginx ]; then
    echo "run.sh: nginx is missing (make deploy-deps), or run with --no-front" >&2; exit 2
fi
export PORT SERVE_DATABASE_URL="$PG/$LOAD_DB" SERVE_REDIS_URL="$REDIS" SERVE_FRONT="$FRONT"
setsid bash deploy/serve.sh > "$OUT/serve.out" 2>&1 &
SERVE_PID=$!
stop_server() {
    if [ "$KEEP" = 1 ]; then
        echo "load: the server stays up (process group $SERVE_PID) on http://127.0.0.1:$PORT/"
        return
    fi
    kill -TERM -- "-$SERVE_PID" 2>/dev/null || true
    wait "$SERVE_PID" 2>/dev/null || true
}
trap stop_server EXIT
for _ in $(seq 1 600); do
    if curl -fsS "http://127.0.0.1:$PORT/healthz/live" > /dev/null 2>&1; then break; fi
    if ! kill -0 "$SERVE_PID" 2>/dev/null; then cat "$OUT/serve.out"; exit 1; fi
    sleep 0.5
done

echo "load: seeding $APPLICANTS applicants"
(
    set -a
    # shellcheck disable=SC1091
    . "$SERVE_VAR/secrets.env"
    set +a
    DJANGO_SETTINGS_MODULE=jifen.settings.serve DATABASE_URL="$SERVE_DATABASE_URL" \
    REDIS_URL="$SERVE_REDIS_URL" ALLOWED_HOSTS=127.0.0.1,localhost JIFEN_VAR_DIR="$SERVE_VAR" \
    AUDIT_CHECKPOINT_DIR="$SERVE_VAR/audit-checkpoints" \
        "$BIN/python" bench/load/seed.py --applicants "$APPLICANTS" --out "$OUT/accounts.json"
)

export LOAD_ACCOUNTS="$OUT/accounts.json" LOAD_PROCESSES="$PROCESSES"
PROC_ARGS=()
[ "$PROCESSES" -gt 1 ] && PROC_ARGS=(--processes "$PROCESSES")

# One locust run: the ramp (RAMP seconds, every user started; its requests are dropped from the
# figures by --reset-stats when the last user has started), then SECONDS measured. The CPU time
# of the server (its process group) and of the machine is read when the ramp ends and again at
# the end; locust's own (the subshell's children) is over the whole run, ramp included.
run_locust() {
    local name=$1 users=$2 rate=$3 ramp=$4 seconds=$5; shift 5
    ( sleep "$ramp"; "$BIN/python" bench/load/summary.py cpu "$SERVE_PID" > "$OUT/$name.cpu-before" ) &
    local snapshot=$!
    ( "$BIN/locust" -f bench/load/locustfile.py --host "http://127.0.0.1:$PORT" --headless \
        -u "$users" -r "$rate" -t "$((ramp + seconds))s" --reset-stats --csv "$OUT/$name" \
        --only-summary --stop-timeout 10 "${PROC_ARGS[@]}" "$@" > "$OUT/$name.out" 2>&1 || true
      times > "$OUT/$name.times" )
    wait "$snapshot"
    "$BIN/python" bench/load/summary.py cpu "$SERVE_PID" > "$OUT/$name.cpu-after"
}

MIX_SECONDS=${SECONDS_MIX:-$((MINUTES * 60))}
MIX_RAMP=$(( (USERS + RATE - 1) / RATE ))
echo "load: the mix, $USERS users started $RATE a second ($MIX_RAMP s, signing in), then $MIX_SECONDS s measured"
run_locust mix "$USERS" "$RATE" "$MIX_RAMP" "$MIX_SECONDS" ApplicantUser EmployerUser PublicListUser
echo "load: the public list alone, $PUBLIC_USERS users for $PUBLIC_SECONDS s"
run_locust public "$PUBLIC_USERS" "$PUBLIC_USERS" 1 "$PUBLIC_SECONDS" PublicListOnly

"$BIN/python" bench/load/summary.py report "$OUT" | tee "$OUT/summary.txt"
