"""Long-lived connections beside ordinary requests: WebSockets, Server-Sent Events and GET /.

    python bench/longlived.py                      # this project, the issue's scenario
    python bench/longlived.py --ws 200 --sse 200 --seconds 10
    python bench/longlived.py --compare            # also CherryPy 18.10 (SSE by a streaming
                                                   # generator: one worker thread per stream)

The server runs in its own process with ``server.thread_pool`` 10 and
``server.thread_pool_max`` 20.  The client process opens ``--ws`` WebSockets (the ``websockets``
library) and ``--sse`` event streams (raw asyncio sockets); the server broadcasts one message a
second to every one of them, while a client sends ``GET /`` ten times a second on a keep-alive
connection and records each latency.  Printed: messages each kind of client received, GET
latency percentiles and errors, and the server's thread count (psutil) at the end.

CherryPy 18.10 has no selector-driven connections: with ``--compare`` it serves the same event
stream as a streaming generator (the usual CherryPy recipe), one worker thread per open stream
(WebSockets need ws4py, whose CherryPy integration is not maintained: they are skipped there).
CherryPy is taken from ``--cherrypy-python`` (default: /tmp/cherrypy-suite/ref/bin/python, which
``scripts/cherrypy-suite.sh`` sets up).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))


# -- the servers ------------------------------------------------------------------------------


def serve_ours(port: int) -> None:
    import threading

    import cherrypy
    from cherrypy_websocket import EventHub, EventStream, WebSocket

    hub = EventHub()

    class Quiet(WebSocket):
        """Receives the broadcasts; sends nothing of its own."""

    class Root:
        @cherrypy.expose
        def index(self) -> str:
            return "ok"

        @cherrypy.expose
        def ws(self) -> None:
            pass

        @cherrypy.expose
        def events(self) -> EventStream:
            stream = EventStream(heartbeat=15)
            hub.add(stream)
            return stream

    def tick() -> None:
        count = 0
        while True:
            time.sleep(1)
            count += 1
            cherrypy.engine.publish("websocket-broadcast", f"tick {count}")
            hub.publish(f"tick {count}", id=str(count))

    cherrypy.config.update(
        {
            "server.socket_port": port,
            "server.thread_pool": 10,
            "server.thread_pool_max": 20,
            "server.socket_queue_size": 1024,
            "environment": "production",
            "log.screen": False,
        }
    )
    conf = {"/ws": {"tools.websocket.on": True, "tools.websocket.handler_cls": Quiet}}
    cherrypy.tree.mount(Root(), "", conf)
    threading.Thread(target=tick, daemon=True).start()
    cherrypy.engine.start()
    print("READY", flush=True)
    cherrypy.engine.block()


CHERRYPY_SERVER = r"""
import sys, threading, time, queue
import cherrypy

port = int(sys.argv[1])
subscribers = set()
lock = threading.Lock()

class Root:
    @cherrypy.expose
    def index(self):
        return "ok"

    @cherrypy.expose
    def events(self):
        cherrypy.response.headers["Content-Type"] = "text/event-stream"
        inbox = queue.Queue()
        with lock:
            subscribers.add(inbox)
        def stream():
            try:
                while True:
                    yield inbox.get().encode()
            finally:
                with lock:
                    subscribers.discard(inbox)
        return stream()
    events._cp_config = {"response.stream": True}

def tick():
    count = 0
    while True:
        time.sleep(1)
        count += 1
        with lock:
            targets = list(subscribers)
        for inbox in targets:
            inbox.put(f"id: {count}\ndata: tick {count}\n\n")

cherrypy.config.update({
    "server.socket_port": port, "server.thread_pool": 10, "server.thread_pool_max": 20,
    "server.socket_queue_size": 1024, "environment": "production", "log.screen": False,
})
cherrypy.tree.mount(Root(), "")
threading.Thread(target=tick, daemon=True).start()
cherrypy.engine.start()
print("READY", flush=True)
cherrypy.engine.block()
"""


# -- the client -------------------------------------------------------------------------------


async def websocket_client(port: int, counts: dict[str, int], stop: asyncio.Event) -> None:
    from websockets.asyncio.client import connect

    try:
        async with connect(f"ws://127.0.0.1:{port}/ws", open_timeout=30, ping_interval=None) as ws:
            counts["ws_open"] += 1
            while not stop.is_set():
                try:
                    await asyncio.wait_for(ws.recv(), timeout=1.0)
                except asyncio.TimeoutError:
                    continue
                counts["ws_messages"] += 1
    except Exception:
        counts["ws_errors"] += 1


async def sse_client(port: int, counts: dict[str, int], stop: asyncio.Event) -> None:
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 30)
    except Exception:
        counts["sse_errors"] += 1
        return
    try:
        writer.write(
            b"GET /events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n"
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        if b" 200 " not in head.split(b"\r\n", 1)[0]:
            counts["sse_errors"] += 1
            return
        counts["sse_open"] += 1
        while not stop.is_set():
            try:
                data = await asyncio.wait_for(reader.read(65536), timeout=1.0)
            except asyncio.TimeoutError:
                continue
            if not data:
                break
            counts["sse_messages"] += data.count(b"data: tick")
    except Exception:
        counts["sse_errors"] += 1
    finally:
        writer.close()


def get_loop(port: int, seconds: float, pid: int, out: Any) -> None:
    """GET / ten times a second on a keep-alive connection, in a process of its own (so the
    latencies are the server's, not the event loop's of the client opening 2,000 sockets)."""
    import psutil

    server = psutil.Process(pid)
    request = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
    latencies: list[float] = []
    errors = threads = fds = 0
    sock: socket.socket | None = None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            if sock is None:
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(request)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed")
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            while len(body) < length:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed")
                body += chunk
            if not head.startswith(b"HTTP/1.1 200") or body != b"ok":
                errors += 1
            else:
                latencies.append(time.perf_counter() - started)
        except Exception:
            errors += 1
            if sock is not None:
                sock.close()
            sock = None
        threads = max(threads, server.num_threads())
        fds = max(fds, server.num_fds())
        time.sleep(max(0.0, 0.1 - (time.perf_counter() - started)))
    if sock is not None:
        sock.close()
    out.put((latencies, errors, threads, fds))


async def run_clients(port: int, ws: int, sse: int, seconds: float, pid: int) -> dict[str, object]:
    counts = dict.fromkeys(
        (
            "ws_open",
            "ws_messages",
            "ws_errors",
            "sse_open",
            "sse_messages",
            "sse_errors",
            "get_errors",
            "server_threads_max",
            "server_fds_max",
        ),
        0,
    )
    stop = asyncio.Event()
    tasks = []
    for index in range(max(ws, sse)):
        if index < ws:
            tasks.append(asyncio.create_task(websocket_client(port, counts, stop)))
        if index < sse:
            tasks.append(asyncio.create_task(sse_client(port, counts, stop)))
        if index % 50 == 49:
            await asyncio.sleep(0.05)  # let the accept queue drain
    # Wait for the connections to open (or fail), then measure.
    opened_by = time.monotonic() + 60
    while time.monotonic() < opened_by:
        done = counts["ws_open"] + counts["ws_errors"] + counts["sse_open"] + counts["sse_errors"]
        if done >= ws + sse:
            break
        await asyncio.sleep(0.2)
    before = (counts["ws_messages"], counts["sse_messages"])
    import multiprocessing

    out: Any = multiprocessing.Queue()
    getter = multiprocessing.Process(target=get_loop, args=(port, seconds, pid, out))
    getter.start()
    while getter.is_alive():
        await asyncio.sleep(0.2)
    latencies, counts["get_errors"], counts["server_threads_max"], counts["server_fds_max"] = (
        out.get(timeout=10)
    )
    received = (counts["ws_messages"] - before[0], counts["sse_messages"] - before[1])
    stop.set()
    await asyncio.wait(tasks, timeout=10)
    latencies.sort()

    def pct(p: float) -> float | None:
        if not latencies:
            return None
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2)

    return {
        **counts,
        "ws_messages_in_window": received[0],
        "sse_messages_in_window": received[1],
        "gets": len(latencies),
        "get_p50_ms": pct(0.5),
        "get_p99_ms": pct(0.99),
        "get_max_ms": round(latencies[-1] * 1000, 2) if latencies else None,
        "get_mean_ms": round(statistics.mean(latencies) * 1000, 2) if latencies else None,
    }


# -- driver -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(kind: str, port: int, cherrypy_python: str) -> subprocess.Popen[str]:
    if kind == "ours":
        command = [sys.executable, __file__, "--serve", str(port)]
    else:
        command = [cherrypy_python, "-c", CHERRYPY_SERVER, str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    if "READY" not in line:
        process.kill()
        raise RuntimeError(f"{kind} server did not start: {line!r}")
    return process


def measure(kind: str, args: argparse.Namespace) -> dict[str, object]:
    import psutil

    port = free_port()
    process = start_server(kind, port, args.cherrypy_python)
    try:
        ws = args.ws if kind == "ours" else 0
        result = asyncio.run(run_clients(port, ws, args.sse, args.seconds, process.pid))
        proc = psutil.Process(process.pid)
        result["server_rss_mib"] = round(proc.memory_info().rss / 2**20, 1)
        expected = args.seconds * 0.8
        result["ws_expected_min"] = int(ws * expected)
        result["sse_expected_min"] = int(args.sse * expected)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
    result["server"] = "cherrypy-kernel" if kind == "ours" else "CherryPy 18.10"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--ws", type=int, default=1000)
    parser.add_argument("--sse", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--cherrypy-python", default="/tmp/cherrypy-suite/ref/bin/python")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    if args.serve:
        serve_ours(args.serve)
        return
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 2 * (args.ws + args.sse) + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    results = [measure("ours", args)]
    if args.compare:
        results.append(measure("cherrypy", args))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    keys = (
        "ws_open",
        "ws_messages_in_window",
        "ws_errors",
        "sse_open",
        "sse_messages_in_window",
        "sse_errors",
        "gets",
        "get_errors",
        "get_p50_ms",
        "get_p99_ms",
        "get_max_ms",
        "server_threads_max",
        "server_fds_max",
        "server_rss_mib",
    )
    print(
        f"{args.ws} WebSockets, {args.sse} event streams, one message a second each, "
        f"GET / ten times a second for {args.seconds:g} s; thread_pool 10, thread_pool_max 20"
    )
    print("| | " + " | ".join(str(r["server"]) for r in results) + " |")
    print("|---|" + "---|" * len(results))
    for key in keys:
        print(f"| {key} | " + " | ".join(str(r.get(key)) for r in results) + " |")


if __name__ == "__main__":
    main()
