#!/bin/sh
# Stop a Redis server started by scripts/start-redis.sh DIR (and wait until it has exited).
set -eu
dir=${1:?usage: stop-redis.sh DIR}
exec "$(dirname "$0")/kill-pidfile.sh" "$dir/redis.pid"
