#!/bin/sh
# Stop a memcached started by scripts/start-memcached.sh DIR (and wait until it has exited).
# A throwaway server holds nothing worth a graceful stop (which waits for open connections),
# so it is killed outright.
set -eu
dir=${1:?usage: stop-memcached.sh DIR}
[ -f "$dir/memcached.pid" ] || exit 0
pid=$(cat "$dir/memcached.pid")
rm -f "$dir/memcached.pid"
kill -9 "$pid" 2>/dev/null || exit 0
i=0
# (an exited process that nobody reaped shows as a zombie, state Z: it is gone too)
while [ $i -lt 200 ] && kill -0 "$pid" 2>/dev/null; do
    case $(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null) in Z) break ;; esac
    sleep 0.02
    i=$((i + 1))
done
