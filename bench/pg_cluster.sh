#!/usr/bin/env bash
# A scratch PostgreSQL 15 cluster for the benchmarks, with the project's server settings
# (deploy/postgres/jifen-tuning.conf), so that a benchmark measures jifen on a server set up as
# a deployment would be, not on Debian's defaults (128 MB shared buffers). Trust auth, local.
#   bench/pg_cluster.sh start [PORT]   initdb (first time) and start; prints the database URL
#   bench/pg_cluster.sh stop  [PORT]   stop and remove the cluster
# As root, the cluster runs as the `postgres` user (initdb refuses root).
set -euo pipefail
cmd=${1:?start or stop}
port=${2:-5499}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
dir=${PG_CLUSTER_DIR:-/var/tmp/jifen-bench-pg-$port}
conf="$(cd "$(dirname "$0")/.." && pwd)/deploy/postgres/jifen-tuning.conf"
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
start)
    if [ ! -f "$dir/PG_VERSION" ]; then
        mkdir -p "$dir"
        [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
        as_pg "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
        cp "$conf" "$dir/jifen-tuning.conf"
        [ "$(id -u)" -eq 0 ] && chown postgres: "$dir/jifen-tuning.conf"
        printf "include = 'jifen-tuning.conf'\nport = %s\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n" \
            "$port" "$dir" >> "$dir/postgresql.conf"
    fi
    as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w start >/dev/null
    as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres bench 2>/dev/null || true
    echo "postgres://postgres@127.0.0.1:$port/bench"
    ;;
stop)
    as_pg "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
    rm -rf "$dir"
    ;;
*) echo "usage: $0 start|stop [PORT]" >&2; exit 2 ;;
esac
