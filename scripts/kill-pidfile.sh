#!/bin/sh
# Kill the process whose pid is in PIDFILE (a throwaway test server), remove the file and wait
# until the process has exited.  A throwaway server holds nothing worth a graceful stop.
#
#   scripts/kill-pidfile.sh PIDFILE
set -eu
pidfile=${1:?usage: kill-pidfile.sh PIDFILE}
[ -f "$pidfile" ] || exit 0
pid=$(cat "$pidfile")
rm -f "$pidfile"
kill -9 "$pid" 2>/dev/null || exit 0
i=0
# (an exited process that nobody reaped shows as a zombie, state Z: it is gone too)
while [ $i -lt 200 ] && kill -0 "$pid" 2>/dev/null; do
    case $(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null) in Z) break ;; esac
    sleep 0.02
    i=$((i + 1))
done
