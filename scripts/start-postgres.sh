#!/bin/sh
# Start a throwaway PostgreSQL on 127.0.0.1 for tests (Debian package "postgresql").
#
#   scripts/start-postgres.sh DIR [PORT]
#
# DIR (created if missing; its parent directories must be enterable by the postgres user; and handed to the postgres user when run as root, since initdb and
# postgres refuse to run as root) holds the cluster (initialised on first start, trust
# authentication, fsync off), its socket directory and its log.  PORT defaults to a free port.
# Prints a libpq DSN once the server accepts connections.  Starting again with the same DIR
# and PORT restarts the same cluster.  Exits 127 if PostgreSQL is not installed.
# Stop it with scripts/stop-postgres.sh DIR.
set -eu
dir=${1:?usage: start-postgres.sh DIR [PORT]}
port=${2:-}
bindir=${PG_BINDIR:-}
if [ -z "$bindir" ]; then
    for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        bindir=$candidate
        break
    done
fi
if [ -z "$bindir" ] && command -v initdb >/dev/null 2>&1; then
    bindir=$(dirname "$(command -v initdb)")
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/pg_ctl" ]; then
    echo "PostgreSQL server binaries not found (Debian: apt-get install postgresql; or set PG_BINDIR)" >&2
    exit 127
fi
if [ -z "$port" ]; then
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
mkdir -p "$dir/socket"
as=""
user=$(id -un)
if [ "$(id -u)" = 0 ]; then
    chown -R postgres: "$dir"
    chmod 0700 "$dir"
    as="runuser -u postgres --"
    user=postgres
    if ! $as test -x "$dir"; then
        echo "the postgres user cannot reach $dir: use a directory whose parents it can enter (e.g. mktemp -d in /tmp)" >&2
        exit 1
    fi
fi
if [ ! -f "$dir/data/PG_VERSION" ]; then
    $as "$bindir/initdb" -D "$dir/data" -U "$user" --auth=trust -E UTF8 --no-sync \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
fi
$as "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 \
    -o "-h 127.0.0.1 -p $port -k $dir/socket -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || { cat "$dir/postgres.log" >&2; exit 1; }
echo "host=127.0.0.1 port=$port user=$user dbname=postgres"
