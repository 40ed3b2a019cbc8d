#!/bin/sh
# Stop a Redis server started by scripts/start-redis.sh DIR (and wait until it has exited).
# A throwaway server holds nothing worth keeping, so it is killed outright.
set -eu
dir=${1:?usage: stop-redis.sh DIR}
[ -f "$dir/redis.pid" ] || exit 0
pid=$(cat "$dir/redis.pid")
rm -f "$dir/redis.pid"
kill -9 "$pid" 2>/dev/null || exit 0
i=0
while [ $i -lt 200 ] && kill -0 "$pid" 2>/dev/null; do
    case $(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null) in Z) break ;; esac
    sleep 0.02
    i=$((i + 1))
done
