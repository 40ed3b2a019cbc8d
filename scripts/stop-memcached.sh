#!/bin/sh
# Stop a memcached started by scripts/start-memcached.sh DIR (and wait until it has exited).
set -eu
dir=${1:?usage: stop-memcached.sh DIR}
exec "$(dirname "$0")/kill-pidfile.sh" "$dir/memcached.pid"
