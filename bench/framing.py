"""Framing costs (issue 20): server CPU for hostile-but-legal request heads.

For each server, one request per case over a real socket, and the server process's CPU time
(utime + stime from /proc) that request cost:

- ``repeated-N``: N repeated ``X-A: <n>`` header lines (joined into one environ value);
- ``long-line-trickled``: one 60 KiB header line sent in 64-byte pieces (each piece is
  a read of its own);
- ``pipelined-1000``: 1,000 small GET requests in one send.

Servers: this workspace's ``cherrypy_server`` (``ours``), optionally an older copy of the
package (``--baseline DIR``, a directory holding a ``cherrypy_server`` package, to compare
before and after a change), and cheroot from CherryPy 18.10 (``--cheroot-python``, the
interpreter of a venv with CherryPy 18.10; skipped if it does not exist).

    .venv/bin/python bench/framing.py [--baseline /tmp/old_pkg] [--cheroot-python PY]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def app(environ, start_response):
    value = environ.get("HTTP_X_A", "")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"%d" % len(value)]


def serve(kind: str, port: int) -> None:
    if kind == "cheroot":
        from cheroot import wsgi

        server = wsgi.Server(("127.0.0.1", port), app, numthreads=4)
        server.max_request_header_size = 500 * 1024
        server.start()
    else:
        from cherrypy_server import HTTPServer

        HTTPServer(("127.0.0.1", port), app, 4, timeout=30).start()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def connect(port: int, deadline: float = 20.0) -> socket.socket:
    end = time.monotonic() + deadline
    while True:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=120)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.05)


def read_responses(sock: socket.socket, count: int) -> None:
    """Read ``count`` responses framed by Content-Length (or until the server closes)."""
    data = b""
    while count:
        head_end = data.find(b"\r\n\r\n")
        if head_end >= 0:
            head = data[:head_end].lower()
            start = head.find(b"content-length:")
            length = int(head[start + 15 :].split(b"\r\n", 1)[0]) if start >= 0 else 0
            if len(data) >= head_end + 4 + length:
                data = data[head_end + 4 + length :]
                count -= 1
                continue
        chunk = sock.recv(1 << 20)
        if not chunk:
            return
        data += chunk


HOST = b"Host: bench\r\n"


def cases() -> list[tuple[str, list[bytes], int]]:
    result = []
    for count in (1_000, 10_000, 40_000):
        lines = b"".join(b"X-A: %d\r\n" % n for n in range(count))
        result.append((f"repeated-{count}", [b"GET / HTTP/1.1\r\n" + HOST + lines + b"\r\n"], 1))
    line = b"X-Long: " + b"v" * (60 * 1024) + b"\r\n"
    pieces = [b"GET / HTTP/1.1\r\n" + HOST]
    pieces += [line[i : i + 64] for i in range(0, len(line), 64)] + [b"\r\n"]
    result.append(("long-line-trickled", pieces, 1))
    result.append(("pipelined-1000", [b"GET /p HTTP/1.1\r\n" + HOST + b"\r\n"] * 1000, 1000))
    return result


def measure(command: list[str], env: dict[str, str]) -> dict[str, float]:
    port = free_port()
    proc = subprocess.Popen([*command, str(port)], env=env)
    results: dict[str, float] = {}
    try:
        connect(port).close()
        for name, pieces, answers in cases():
            best = float("inf")
            for _ in range(3):
                sock = connect(port)
                before = cpu_seconds(proc.pid)
                if name == "pipelined-1000":
                    sock.sendall(b"".join(pieces))
                else:
                    for piece in pieces:
                        sock.sendall(piece)
                        if len(pieces) > 2:
                            time.sleep(0.0002)  # let each piece be a read of its own
                read_responses(sock, answers)
                time.sleep(0.05)
                best = min(best, cpu_seconds(proc.pid) - before)
                sock.close()
            results[name] = best
    finally:
        proc.terminate()
        proc.wait(10)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", nargs=2, metavar=("KIND", "PORT"), help=argparse.SUPPRESS)
    parser.add_argument("--baseline", help="a directory holding an older cherrypy_server")
    parser.add_argument("--cheroot-python", default="/tmp/cherrypy-suite/ref/bin/python")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    script = str(Path(__file__).resolve())
    runs: dict[str, tuple[list[str], dict[str, str]]] = {
        "ours": ([sys.executable, script, "--serve", "ours"], dict(os.environ)),
    }
    if args.baseline:
        env = dict(os.environ, PYTHONPATH=args.baseline)
        runs["baseline"] = ([sys.executable, script, "--serve", "ours"], env)
    if Path(args.cheroot_python).exists():
        runs["cheroot"] = ([args.cheroot_python, script, "--serve", "cheroot"], dict(os.environ))
    table = {name: measure(command, env) for name, (command, env) in runs.items()}
    names = [name for name, _, _ in cases()]
    print(f"{'case (server CPU ms)':<24}" + "".join(f"{run:>12}" for run in table))
    for case in names:
        print(f"{case:<24}" + "".join(f"{table[run][case] * 1000:>12.0f}" for run in table))


if __name__ == "__main__":
    main()
