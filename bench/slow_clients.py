"""Trickling uploads against the server: GET latency and threads while they trickle (issue 20).

Starts a server in this process (``cherrypy-server`` with its default settings, or cheroot as
CherryPy 18.10 configures it: 10 threads, no maximum), opens N clients that each send a
request head and then one body byte every 0.5 s (after 70 KB sent at once, or after
``Expect: 100-continue``), and times normal GETs on fresh connections meanwhile.

    .venv/bin/python bench/slow_clients.py                     # cherrypy-server
    /tmp/cherrypy-suite/ref/bin/python bench/slow_clients.py --server cheroot

Prints one line per scenario: clients, kind, GET latency (median / max of 5, or "timeout"
after 5 s) and the number of threads of the process.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import statistics
import threading
import time
from typing import Any

HOST = b"Host: bench\r\n"


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    if environ["PATH_INFO"] == "/upload":
        environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def start(kind: str) -> tuple[Any, int]:
    if kind == "cheroot":
        from cheroot import wsgi

        server = wsgi.Server(("127.0.0.1", 0), app, numthreads=10, max=-1, timeout=10)
        server.prepare()
        threading.Thread(target=server.serve, daemon=True).start()
        return server, server.bind_addr[1]
    from cherrypy_server import HTTPServer

    server = HTTPServer(("127.0.0.1", 0), app, 10, timeout=10)
    server.start_in_thread()
    address = server.bound_addr
    assert isinstance(address, tuple)
    return server, address[1]


def timed_get(port: int) -> float | None:
    started = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
    except OSError:
        return None
    if not data.endswith(b"hello"):
        return None
    return time.monotonic() - started


def scenario(port: int, count: int, expect: bool) -> str:
    socks: list[socket.socket] = []
    stop = threading.Event()
    head = b"POST /upload HTTP/1.1\r\n" + HOST + b"Content-Length: 100000000\r\n"
    head += b"Expect: 100-continue\r\n\r\n" if expect else b"\r\n"
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(head if expect else head + b"x" * 70000)
        socks.append(sock)

    def trickle() -> None:
        while not stop.wait(0.5):
            for sock in socks:
                with contextlib.suppress(OSError):
                    sock.send(b"x")

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    time.sleep(1.0)
    times = [timed_get(port) for _ in range(5)]
    threads = threading.active_count()
    stop.set()
    thread.join()
    for sock in socks:
        sock.close()
    time.sleep(1.0)
    done = [t for t in times if t is not None]
    if len(done) < len(times):
        latency = f"{len(times) - len(done)}/5 timeout"
    else:
        latency = f"{statistics.median(done) * 1000:.1f} / {max(done) * 1000:.1f} ms"
    kind = "expect-100" if expect else "70KB+trickle"
    return f"{count:5d} {kind:13s} GET {latency:20s} threads {threads}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=["ours", "cheroot"], default="ours")
    parser.add_argument("--counts", default="25,200,2000")
    args = parser.parse_args()
    server, port = start(args.server)
    print(f"server: {args.server}")
    try:
        for count in (int(c) for c in args.counts.split(",")):
            for expect in (False, True):
                print(scenario(port, count, expect), flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
