#!/bin/sh
# Start a throwaway memcached on 127.0.0.1 for tests (Debian package "memcached").
#
#   scripts/start-memcached.sh DIR [PORT]
#
# DIR receives memcached.pid and memcached.log; PORT defaults to a free port.  Prints
# "127.0.0.1:PORT" once the server answers.  Exits 127 if memcached is not installed.
# Stop it with scripts/stop-memcached.sh DIR.
set -eu
dir=${1:?usage: start-memcached.sh DIR [PORT]}
port=${2:-}
bin=${MEMCACHED:-$(command -v memcached || true)}
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
    echo "memcached is not installed (Debian: apt-get install memcached)" >&2
    exit 127
fi
if [ -z "$port" ]; then
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
mkdir -p "$dir"
user_opt=""
if [ "$(id -u)" = 0 ]; then
    user_opt="-u memcache"
fi
# shellcheck disable=SC2086
"$bin" $user_opt -l 127.0.0.1 -p "$port" -U 0 -m 64 -c 1024 -t 4 >"$dir/memcached.log" 2>&1 &
echo $! >"$dir/memcached.pid"
python3 - "$port" <<'PY'
import socket, sys, time
deadline = time.monotonic() + 10
while True:
    try:
        with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1) as s:
            s.sendall(b"version\r\n")
            if s.recv(100).startswith(b"VERSION"):
                break
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit("memcached did not start on port " + sys.argv[1])
    time.sleep(0.02)
PY
echo "127.0.0.1:$port"
