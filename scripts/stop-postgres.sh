#!/bin/sh
# Stop a PostgreSQL started by scripts/start-postgres.sh DIR (fast shutdown, waits).
# With a second argument "purge", also delete DIR.
set -eu
dir=${1:?usage: stop-postgres.sh DIR [purge]}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r | head -n 1)
bindir=${PG_BINDIR:-$bindir}
as=""
if [ "$(id -u)" = 0 ]; then
    as="runuser -u postgres --"
fi
if [ -f "$dir/data/postmaster.pid" ]; then
    $as "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
fi
if [ "${2:-}" = purge ]; then
    rm -rf "$dir"
fi
