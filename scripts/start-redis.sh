#!/bin/sh
# Start a throwaway Redis server on 127.0.0.1 for tests (Debian package "redis-server").
#
#   scripts/start-redis.sh DIR [PORT]
#
# DIR receives redis.pid and redis.log; nothing is persisted.  PORT defaults to a free port.
# Prints "127.0.0.1:PORT" once the server answers PING.  Exits 127 if redis-server is not
# installed.  Stop it with scripts/stop-redis.sh DIR.
set -eu
dir=${1:?usage: start-redis.sh DIR [PORT]}
port=${2:-}
bin=${REDIS_SERVER:-$(command -v redis-server || true)}
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
    echo "redis-server is not installed (Debian: apt-get install redis-server)" >&2
    exit 127
fi
if [ -z "$port" ]; then
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
mkdir -p "$dir"
"$bin" --bind 127.0.0.1 --port "$port" --dir "$dir" --save "" --appendonly no \
    --daemonize no --protected-mode yes >"$dir/redis.log" 2>&1 &
echo $! >"$dir/redis.pid"
python3 - "$port" <<'PY'
import socket, sys, time
deadline = time.monotonic() + 10
while True:
    try:
        with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1) as s:
            s.sendall(b"PING\r\n")
            if s.recv(100).startswith(b"+PONG"):
                break
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit("redis-server did not start on port " + sys.argv[1])
    time.sleep(0.02)
PY
echo "127.0.0.1:$port"
