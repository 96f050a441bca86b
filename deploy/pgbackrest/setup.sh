#!/usr/bin/env bash
# Configure pgBackRest for jifen's PostgreSQL database: write the configuration from
# pgbackrest.conf.template, turn on WAL archiving (archive_mode, archive_command through
# ALTER SYSTEM), restart the server, create the stanza and check it.
#
# Run as the PostgreSQL OS user (postgres), or as root (it switches to that user):
#   PGDATA=/var/lib/postgresql/15/main PGPORT=5432 \
#   PGBACKREST_REPO=/var/lib/pgbackrest RESTART="pg_ctlcluster 15 main restart" \
#   deploy/pgbackrest/setup.sh
# Variables (defaults in brackets):
#   PGDATA            data directory (required)
#   PGPORT [5432]     PGSOCKET [/var/run/postgresql]
#   STANZA [jifen]    the stanza (the app's PGBACKREST_STANZA)
#   PGBACKREST_REPO [/var/lib/pgbackrest]   where backups and WAL go (another disk!)
#   CONFIG [/etc/pgbackrest/pgbackrest.conf]  the file written (the app's PGBACKREST_CONFIG)
#   PGBACKREST_HOME [dir of the repo]   log, lock and spool folders go under it
#   RESTART           command restarting PostgreSQL [pg_ctl -D $PGDATA -w restart]
#   RETENTION_FULL [8]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${PGDATA:?set PGDATA to the data directory}"
PGPORT="${PGPORT:-5432}"
PGSOCKET="${PGSOCKET:-/var/run/postgresql}"
STANZA="${STANZA:-jifen}"
PGBACKREST_REPO="${PGBACKREST_REPO:-/var/lib/pgbackrest}"
CONFIG="${CONFIG:-/etc/pgbackrest/pgbackrest.conf}"
PGBACKREST_HOME="${PGBACKREST_HOME:-$(dirname "$PGBACKREST_REPO")/pgbackrest-state}"
RETENTION_FULL="${RETENTION_FULL:-8}"
PG_OS_USER="${PG_OS_USER:-postgres}"
PG_BINDIR="${PG_BINDIR:-/usr/lib/postgresql/15/bin}"
RESTART="${RESTART:-$PG_BINDIR/pg_ctl -D $PGDATA -w -l $PGDATA/restart.log restart}"

command -v pgbackrest >/dev/null || { echo "setup.sh: pgbackrest is not installed (make backup-deps)" >&2; exit 1; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u "$PG_OS_USER" -- "$@"; else "$@"; fi; }

mkdir -p "$(dirname "$CONFIG")" "$PGBACKREST_REPO" "$PGBACKREST_HOME"/{log,lock,spool}
sed -e "s|@REPO@|$PGBACKREST_REPO|" -e "s|@RETENTION_FULL@|$RETENTION_FULL|" \
    -e "s|@LOG@|$PGBACKREST_HOME/log|" -e "s|@LOCK@|$PGBACKREST_HOME/lock|" \
    -e "s|@SPOOL@|$PGBACKREST_HOME/spool|" -e "s|@STANZA@|$STANZA|" \
    -e "s|@PGDATA@|$PGDATA|" -e "s|@PGPORT@|$PGPORT|" -e "s|@PGSOCKET@|$PGSOCKET|" \
    "$here/pgbackrest.conf.template" > "$CONFIG"
if [ "$(id -u)" -eq 0 ]; then
    chown -R "$PG_OS_USER" "$PGBACKREST_REPO" "$PGBACKREST_HOME"
    chmod 644 "$CONFIG"
fi

psql_pg() { as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$PGSOCKET" -p "$PGPORT" -d postgres "$@"; }
psql_pg -c "ALTER SYSTEM SET wal_level = 'replica'" \
        -c "ALTER SYSTEM SET archive_mode = 'on'" \
        -c "ALTER SYSTEM SET archive_command = 'pgbackrest --config=$CONFIG --stanza=$STANZA archive-push %p'" \
        -c "ALTER SYSTEM SET max_wal_senders = 3"
if [ "$(id -u)" -eq 0 ] && [[ "$RESTART" == *pg_ctl\ * ]]; then as_pg $RESTART; else $RESTART; fi

as_pg pgbackrest --config="$CONFIG" --stanza="$STANZA" stanza-create
as_pg pgbackrest --config="$CONFIG" --stanza="$STANZA" check
echo "pgBackRest ready: stanza $STANZA, repository $PGBACKREST_REPO, configuration $CONFIG"
echo "Run the application with PGBACKREST_CONFIG=$CONFIG PGBACKREST_STANZA=$STANZA"
