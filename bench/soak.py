"""Soak test: many mixed requests against a real server process, then check it did not leak.

The server runs in a subprocess (``python bench/soak.py --serve PORT DIR``) with one site that
mixes RAM sessions, file sessions, static files, JSON in and out, gzip responses, form and
multipart uploads, redirects and error statuses (400, 403, 404, 405, 500).  The load generator
drives it over raw sockets from ``--connections`` threads, each owning a share of virtual users
whose session cookies it keeps.  Connections are reused for a random number of requests, closed
by ``Connection: close``, by HTTP/1.0 or by a malformed request, and opened again, so accepts,
keep-alive and closes all happen all the time.  Every response is checked: the expected status
and the expected body (a user's session counter counts up by one, a JSON echo matches what was
sent, gzip bodies inflate to the right text, a byte range is the right slice of the file).

After a warm-up (every user logs in, then ``--warmup`` random requests) the server's resident
memory, open descriptors, threads and session files are read with psutil while it is idle; the
same figures are read again after ``--requests`` more.  The run fails (exit status 1) when:

* any request failed, timed out or got an unexpected status or body;
* RSS grew by more than ``--rss-growth`` (10 % by default) over the warm-up figure;
* descriptors, threads or files in the session directory grew (each gets a generous deadline
  to come back down, as closed connections and extra pool workers take a moment to go);
* the error log holds a traceback other than the deliberate ``/boom`` ones.

Usage::

    python bench/soak.py                       # 100,000 requests at 16 connections
    python bench/soak.py --requests 3000 --warmup 1000
    python bench/soak.py --python /tmp/cherrypy-suite/ref/bin/python   # CherryPy 18.10
    nox -s soak                                # the same, in a fresh environment

``tests/test_soak.py`` imports :func:`soak` and runs a short version in the test suite.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any

DELIBERATE = "soak: deliberate failure"
"""Text of the exception ``/boom`` raises; its tracebacks in the error log are expected."""

GZ_TEXT = "".join(f"line {n}: the quick brown fox jumps over the lazy dog\n" for n in range(2000))
"""The text ``/gz/text`` serves (a prefix of it), compressible as real pages are."""

IO_TIMEOUT = 30.0
"""Seconds a client waits on one socket operation before counting the request as failed."""


# --------------------------------------------------------------------------- the server


def serve(port: int, directory: str) -> None:
    """Serve the soak site on ``127.0.0.1:port`` until killed (runs in the subprocess)."""
    import cherrypy

    class Counter:
        @cherrypy.expose
        def hit(self) -> str:
            count = cherrypy.session.get("count", 0) + 1
            cherrypy.session["count"] = count
            return str(count)

        @cherrypy.expose
        def anonymous(self) -> str:
            return "sessions on, session untouched"

    class Api:
        @cherrypy.expose
        @cherrypy.tools.json_in()
        @cherrypy.tools.json_out()
        def echo(self) -> Any:
            return {"echo": cherrypy.request.json}

    class Gz:
        @cherrypy.expose
        def text(self, size: str = "20000") -> str:
            return GZ_TEXT[: int(size)]

    class Root:
        @cherrypy.expose
        def index(self) -> str:
            return "Hello World!"

        @cherrypy.expose
        def boom(self) -> str:
            raise RuntimeError(DELIBERATE)

        @cherrypy.expose
        def forbidden(self) -> str:
            raise cherrypy.HTTPError(403, "not for you")

        @cherrypy.expose
        def moved(self) -> str:
            raise cherrypy.HTTPRedirect("/")

        @cherrypy.expose
        @cherrypy.tools.allow(methods=["GET"])
        def getonly(self) -> str:
            return "got"

        @cherrypy.expose
        def form(self, **params: Any) -> str:
            return ",".join(f"{key}={params[key]}" for key in sorted(params))

        @cherrypy.expose
        def upload(self, file: Any, note: str = "") -> str:
            size = 0
            while True:
                data = file.file.read(8192)
                if not data:
                    break
                size += len(data)
            return f"{note}:{size}"

    base = Path(directory)
    sessions = base / "sessions"
    file_sessions: dict[str, Any] = {
        "tools.sessions.on": True,
        "tools.sessions.name": "file_sid",
        "tools.sessions.storage_path": str(sessions),
    }
    if hasattr(cherrypy, "kernel"):
        file_sessions["tools.sessions.storage_type"] = "file"
    else:  # CherryPy 18.10 wants the class
        from cherrypy.lib.sessions import FileSession

        file_sessions["tools.sessions.storage_class"] = FileSession
    cherrypy.config.update(
        {
            "environment": "production",
            "log.screen": False,
            "log.error_file": str(base / "error.log"),
            "server.socket_host": "127.0.0.1",
            "server.socket_port": port,
        }
    )
    cherrypy.tree.mount(
        Root(),
        "",
        {
            "/static": {
                "tools.staticdir.on": True,
                "tools.staticdir.dir": str(base / "static"),
            }
        },
    )
    cherrypy.tree.mount(
        Counter(), "/ram", {"/": {"tools.sessions.on": True, "tools.sessions.name": "ram_sid"}}
    )
    cherrypy.tree.mount(Counter(), "/file", {"/": file_sessions})
    cherrypy.tree.mount(Api(), "/api")
    cherrypy.tree.mount(Gz(), "/gz", {"/": {"tools.gzip.on": True}})
    if os.environ.get("SOAK_TRACEMALLOC"):
        trace_allocations(base / "tracemalloc.txt")
    cherrypy.engine.start()
    cherrypy.engine.block()


def trace_allocations(output: Path) -> None:
    """Trace allocations; on each SIGUSR2, write what grew since the first one to ``output``."""
    import signal
    import tracemalloc

    tracemalloc.start(int(os.environ["SOAK_TRACEMALLOC"]))
    first: list[tracemalloc.Snapshot] = []

    def dump(signum: int, frame: object) -> None:
        snap = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)]
        )
        if not first:
            first.append(snap)
            output.write_text("baseline taken\n")
            return
        lines = []
        for stat in snap.compare_to(first[0], "traceback")[:25]:
            lines.append(f"{stat.size_diff / 1024:+.1f} KiB, {stat.count_diff:+d} blocks")
            lines += [f"    {line}" for line in stat.traceback.format()]
        output.write_text("\n".join(lines) + "\n")

    signal.signal(signal.SIGUSR2, dump)


# --------------------------------------------------------------------------- the client


class Failure(Exception):
    """A response (or the lack of one) that the soak counts as an error."""


class Response:
    """One HTTP response as read from the socket."""

    __slots__ = ("body", "headers", "status", "version")

    def __init__(self, version: str, status: int, headers: dict[str, str], body: bytes) -> None:
        self.version = version
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def closes(self) -> bool:
        """Whether the server will close the connection after this response."""
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" not in connection
        return "close" in connection


class Connection:
    """A keep-alive client connection over a raw socket, with a small response reader."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = bytearray()

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()

    def send(self, data: bytes) -> None:
        """Send all of ``data``."""
        self.sock.sendall(data)

    def _fill(self) -> bool:
        data = self.sock.recv(262144)
        if not data:
            return False
        self.buffer += data
        return True

    def _until(self, marker: bytes) -> bytes:
        start = 0
        while True:
            end = self.buffer.find(marker, start)
            if end >= 0:
                end += len(marker)
                data = bytes(self.buffer[:end])
                del self.buffer[:end]
                return data
            start = max(0, len(self.buffer) - len(marker))
            if not self._fill():
                raise Failure(f"connection closed mid-response: {bytes(self.buffer[:200])!r}")

    def _exact(self, size: int) -> bytes:
        while len(self.buffer) < size:
            if not self._fill():
                raise Failure(f"connection closed in a body: {len(self.buffer)} of {size} bytes")
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def read_response(self, head: bool = False) -> Response:
        """Read one response (``head`` for the answer to a HEAD request)."""
        if not self.buffer and not self._fill():
            raise Failure("connection closed before any response byte")
        lines = self._until(b"\r\n\r\n")[:-4].decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        try:
            status = int(rest[:3])
        except ValueError:
            raise Failure(f"bad status line {lines[0]!r}") from None
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if status < 200 or status in (204, 304) or head:
            return Response(version, status, headers, b"")
        if headers.get("transfer-encoding", "").lower() == "chunked":
            pieces = []
            while True:
                size = int(self._until(b"\r\n")[:-2].split(b";")[0], 16)
                if size == 0:
                    while self._until(b"\r\n") != b"\r\n":  # trailers
                        pass
                    break
                pieces.append(self._exact(size))
                self._exact(2)
            body = b"".join(pieces)
        elif "content-length" in headers:
            body = self._exact(int(headers["content-length"]))
        else:
            while self._fill():
                pass
            body = bytes(self.buffer)
            self.buffer.clear()
        return Response(version, status, headers, body)


Check = Callable[[Response], None]


@dataclass
class Call:
    """One request to send: its bytes, what must come back, and how the connection ends."""

    kind: str
    data: bytes
    check: Check
    body: bytes = b""
    """Sent only after ``100 Continue`` when not empty (``Expect: 100-continue``)."""
    close: bool = False
    """Whether the connection must close after the response."""


@dataclass
class User:
    """A virtual user: the session cookies it holds and the counters it expects next."""

    number: int
    cookies: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: {"ram": 0, "file": 0})

    def cookie_header(self) -> str:
        """The ``Cookie`` line to send, empty before the first session."""
        if not self.cookies:
            return ""
        return "Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()) + "\r\n"


_SET_COOKIE = re.compile(r"(ram_sid|file_sid)=([^;]+)")


def expect(status: int | tuple[int, ...], body: bytes | None = None) -> Check:
    """A check that the status is ``status`` (one of them) and the body, if given, is ``body``."""
    statuses = (status,) if isinstance(status, int) else status

    def check(response: Response) -> None:
        if response.status not in statuses:
            raise Failure(f"status {response.status}, expected {statuses}: {response.body[:200]!r}")
        if body is not None and response.body != body:
            raise Failure(f"body {response.body[:100]!r}..., expected {body[:100]!r}...")

    return check


class Workload:
    """Builds random requests for one client thread; ``random`` is seeded per thread."""

    def __init__(self, port: int, static: dict[str, bytes], mtime: float, seed: int) -> None:
        self.host = f"127.0.0.1:{port}"
        self.static = static
        self.since = formatdate(mtime + 1, usegmt=True)
        self.random = random.Random(seed)
        kinds = {
            "ram_hit": 14,
            "file_hit": 9,
            "file_anonymous": 3,
            "hello": 8,
            "static": 12,
            "static_big": 1,
            "static_range": 3,
            "static_304": 3,
            "static_404": 2,
            "json": 10,
            "json_chunked": 3,
            "json_continue": 1,
            "json_bad": 2,
            "gzip": 9,
            "gzip_plain": 3,
            "form": 4,
            "upload": 2,
            "e403": 2,
            "e404": 3,
            "e405": 1,
            "e500": 2,
            "redirect": 2,
            "http10": 2,
            "close": 2,
            "no_host": 0.5,
        }
        self.kinds = list(kinds)
        self.weights = list(kinds.values())

    def head(self, method: str, path: str, user: User, extra: str = "") -> bytes:
        """A request head for ``path`` with the user's cookies."""
        return (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n{user.cookie_header()}{extra}\r\n"
        ).encode("latin-1")

    def session_call(self, store: str, user: User) -> Call:
        """``/ram/hit`` or ``/file/hit``: the user's counter must be one more than last time."""

        def check(response: Response) -> None:
            expect(200)(response)
            for name, value in _SET_COOKIE.findall(response.headers.get("set-cookie", "")):
                user.cookies[name] = value
            user.counts[store] += 1
            if response.body != str(user.counts[store]).encode():
                raise Failure(
                    f"user {user.number} {store} session count {response.body!r}, "
                    f"expected {user.counts[store]}"
                )

        return Call(f"{store}_hit", self.head("GET", f"/{store}/hit", user), check)

    def next_call(self, user: User) -> Call:
        """A random request as ``user``."""
        rnd = self.random
        kind = rnd.choices(self.kinds, self.weights)[0]
        if kind == "ram_hit":
            return self.session_call("ram", user)
        if kind == "file_hit":
            return self.session_call("file", user)
        if kind == "file_anonymous":
            data = f"GET /file/anonymous HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode()
            return Call(kind, data, expect(200, b"sessions on, session untouched"))
        if kind == "hello":
            return Call(kind, self.head("GET", "/", user), expect(200, b"Hello World!"))
        if kind in ("static", "static_big"):
            name = "big.bin" if kind == "static_big" else rnd.choice(("small.txt", "medium.bin"))
            return Call(
                kind, self.head("GET", f"/static/{name}", user), expect(200, self.static[name])
            )
        if kind == "static_range":
            start = rnd.randrange(0, 30000)
            stop = start + rnd.randrange(1, 2000)
            data = self.head("GET", "/static/medium.bin", user, f"Range: bytes={start}-{stop}\r\n")
            return Call(kind, data, expect(206, self.static["medium.bin"][start : stop + 1]))
        if kind == "static_304":
            data = self.head(
                "GET", "/static/small.txt", user, f"If-Modified-Since: {self.since}\r\n"
            )
            return Call(kind, data, expect(304))
        if kind == "static_404":
            return Call(kind, self.head("GET", "/static/nothing-here.txt", user), expect(404))
        if kind.startswith("json"):
            return self.json_call(kind, user)
        if kind in ("gzip", "gzip_plain"):
            size = rnd.randrange(100, 60000)
            text = GZ_TEXT[:size].encode()
            if kind == "gzip":
                data = self.head("GET", f"/gz/text?size={size}", user, "Accept-Encoding: gzip\r\n")
                return Call(kind, data, self.gzip_check(text))
            return Call(kind, self.head("GET", f"/gz/text?size={size}", user), expect(200, text))
        if kind == "form":
            body = f"b={rnd.randrange(1000)}&a=x%20y&c=%E2%82%AC".encode()
            extra = f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
            expected = f"a=x y,b={body[2:].split(b'&')[0].decode()},c=\u20ac".encode()
            return Call(kind, self.head("POST", "/form", user, extra) + body, expect(200, expected))
        if kind == "upload":
            return self.upload_call(user)
        if kind == "e403":
            return Call(kind, self.head("GET", "/forbidden", user), expect(403))
        if kind == "e404":
            return Call(
                kind, self.head("GET", f"/no/such/{rnd.randrange(10**6)}", user), expect(404)
            )
        if kind == "e405":
            extra = "Content-Length: 0\r\n"
            return Call(kind, self.head("POST", "/getonly", user, extra), expect(405))
        if kind == "e500":
            return Call(kind, self.head("GET", "/boom", user), expect(500))
        if kind == "redirect":
            return Call(kind, self.head("GET", "/moved", user), expect((302, 303)))
        if kind == "http10":
            data = f"GET / HTTP/1.0\r\n{user.cookie_header()}\r\n".encode()
            return Call(kind, data, expect(200, b"Hello World!"), close=True)
        if kind == "close":
            data = self.head("GET", "/", user, "Connection: close\r\n")
            return Call(kind, data, expect(200, b"Hello World!"), close=True)
        assert kind == "no_host"
        return Call(kind, b"GET / HTTP/1.1\r\n\r\n", expect(400), close=True)

    def json_call(self, kind: str, user: User) -> Call:
        """POST JSON to ``/api/echo`` (Content-Length, chunked, 100-continue, or broken)."""
        rnd = self.random
        payload = {
            "user": user.number,
            "n": rnd.randrange(10**9),
            "items": list(range(rnd.randrange(50))),
        }
        body = json.dumps(payload).encode()
        expected = json.dumps({"echo": payload}).encode()
        ctype = "Content-Type: application/json\r\n"
        if kind == "json_bad":
            body = body[: len(body) // 2]
            data = self.head("POST", "/api/echo", user, f"{ctype}Content-Length: {len(body)}\r\n")
            return Call(kind, data + body, expect(400))
        if kind == "json_chunked":
            cut = len(body) // 3
            chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (body[:cut], body[cut:]) if p)
            data = self.head("POST", "/api/echo", user, f"{ctype}Transfer-Encoding: chunked\r\n")
            return Call(kind, data + chunks + b"0\r\n\r\n", self.json_check(expected))
        extra = f"{ctype}Content-Length: {len(body)}\r\n"
        if kind == "json_continue":
            data = self.head("POST", "/api/echo", user, extra + "Expect: 100-continue\r\n")
            return Call(kind, data, self.json_check(expected), body=body)
        return Call(
            kind, self.head("POST", "/api/echo", user, extra) + body, self.json_check(expected)
        )

    @staticmethod
    def json_check(expected: bytes) -> Check:
        """Status 200 and a JSON body equal to ``expected``."""

        def check(response: Response) -> None:
            expect(200)(response)
            if json.loads(response.body) != json.loads(expected):
                raise Failure(f"JSON echo {response.body[:100]!r}, expected {expected[:100]!r}")

        return check

    @staticmethod
    def gzip_check(text: bytes) -> Check:
        """Status 200, ``Content-Encoding: gzip`` and a body that inflates to ``text``."""

        def check(response: Response) -> None:
            expect(200)(response)
            if response.headers.get("content-encoding") != "gzip":
                raise Failure(f"no gzip: {response.headers}")
            if gzip.decompress(response.body) != text:
                raise Failure("gzip body does not inflate to the expected text")

        return check

    def upload_call(self, user: User) -> Call:
        """A multipart upload of a small file and a text field."""
        size = self.random.randrange(0, 20000)
        boundary = "soakboundary1234"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n'
                f"Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + b"x" * size
            + f"\r\n--{boundary}--\r\n".encode()
        )
        extra = (
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(body)}\r\n"
        )
        data = self.head("POST", "/upload", user, extra) + body
        return Call("upload", data, expect(200, f"hi:{size}".encode()))


@dataclass
class ClientStats:
    """What one client thread did."""

    requests: int = 0
    connections: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)


def perform(
    conn: Connection | None, port: int, call: Call, stats: ClientStats
) -> Connection | None:
    """Send ``call`` (opening a connection if needed); return the connection to reuse."""
    if conn is None:
        conn = Connection(port)
        stats.connections += 1
    started = time.perf_counter()
    try:
        conn.send(call.data)
        if call.body:
            interim = conn.read_response()
            if interim.status != 100:
                raise Failure(f"expected 100 Continue, got {interim.status}")
            conn.send(call.body)
        response = conn.read_response()
        call.check(response)
        if call.close:
            if conn.buffer or conn.sock.recv(1):
                raise Failure("the server kept the connection open, expected a close")
            conn.close()
            return None
    except (Failure, OSError, ValueError) as exc:
        stats.errors.append(f"{call.kind}: {type(exc).__name__}: {exc}")
        conn.close()
        return None
    finally:
        stats.latencies.append(time.perf_counter() - started)
        stats.requests += 1
        stats.kinds[call.kind] += 1
    if response.closes:
        conn.close()
        return None
    return conn


def run_client(
    port: int, workload: Workload, users: list[User], requests: int, login: bool, scan: int = 0
) -> ClientStats:
    """Make ``requests`` random requests as ``users``.

    With ``login``, each user first opens its sessions; ``scan`` requests for distinct missing
    URLs follow (a crawler's visit), so that caches bounded by a number of URLs are full before
    anything is measured.
    """
    stats = ClientStats()
    conn: Connection | None = None
    rnd = workload.random
    budget = rnd.randint(1, 60)
    calls: list[Call] = []
    if login:
        for user in users:
            calls += [workload.session_call("ram", user), workload.session_call("file", user)]
    anonymous = User(-1)
    for number in range(scan):
        path = f"/scan/{rnd.randrange(10**9)}/{number}"
        calls.append(Call("scan", workload.head("GET", path, anonymous), expect(404)))
    for call in calls:
        conn = perform(conn, port, call, stats)
    for _ in range(requests):
        conn = perform(conn, port, workload.next_call(rnd.choice(users)), stats)
        budget -= 1
        if budget <= 0 and conn is not None:
            conn.close()
            conn = None
            budget = rnd.randint(1, 60)
    if conn is not None:
        conn.close()
    return stats


# --------------------------------------------------------------------------- measurements


@dataclass
class Snapshot:
    """The server process's resources at one moment."""

    rss: int
    fds: int
    threads: int
    session_files: int


@dataclass
class Report:
    """The outcome of a soak run."""

    requests: int = 0
    connections: int = 0
    seconds: float = 0.0
    kinds: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    latency_p50_ms: float = 0.0
    latency_p99_ms: float = 0.0
    latency_max_ms: float = 0.0
    baseline: Snapshot | None = None
    end: Snapshot | None = None
    peak_rss: int = 0
    allocations: str = ""
    """With ``SOAK_TRACEMALLOC=<frames>``: the server's largest allocation growths."""
    rss_curve: list[float] = field(default_factory=list)
    """RSS in MiB at each tenth of the measured run (sampled twice a second)."""
    rss_growth: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return not self.problems

    def summary(self) -> str:
        """A few human-readable lines."""
        assert self.baseline is not None and self.end is not None
        b, e = self.baseline, self.end
        lines = [
            f"{self.requests} requests over {self.connections} connections in "
            f"{self.seconds:.1f} s ({self.requests / max(self.seconds, 1e-9):.0f} req/s); "
            f"latency p50 {self.latency_p50_ms:.1f} ms, p99 {self.latency_p99_ms:.1f} ms, "
            f"max {self.latency_max_ms:.0f} ms",
            f"RSS {b.rss / 2**20:.1f} MiB after warm-up, {e.rss / 2**20:.1f} MiB at the end "
            f"({self.rss_growth:+.1%}), peak {self.peak_rss / 2**20:.1f} MiB; by tenths: "
            + " ".join(f"{mib:.1f}" for mib in self.rss_curve),
            f"descriptors {b.fds} -> {e.fds}, threads {b.threads} -> {e.threads}, "
            f"session files {b.session_files} -> {e.session_files}",
            f"errors: {len(self.errors)}",
        ]
        lines += [f"  {error}" for error in self.errors[:10]]
        if self.allocations:
            lines.append("allocation growth since the warm-up:\n" + self.allocations)
        lines.append("OK" if self.ok else "FAILED: " + "; ".join(self.problems))
        return "\n".join(lines)


def snapshot(process: Any, sessions: Path) -> Snapshot:
    """Read the server's RSS, descriptors, threads and session files now."""
    return Snapshot(
        rss=process.memory_info().rss,
        fds=process.num_fds(),
        threads=process.num_threads(),
        session_files=sum(1 for _ in sessions.iterdir()),
    )


def settle(process: Any, sessions: Path, ceiling: Snapshot | None, timeout: float) -> Snapshot:
    """Wait for the server to go quiet; return its figures.

    Without ``ceiling``: until descriptors and threads hold still for a second.  With it: until
    descriptors, threads and session files are no higher than the ceiling's (or ``timeout``).
    """
    deadline = time.monotonic() + timeout
    last = snapshot(process, sessions)
    steady_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = snapshot(process, sessions)
        if ceiling is not None:
            if (
                now.fds <= ceiling.fds
                and now.threads <= ceiling.threads
                and now.session_files <= ceiling.session_files
            ):
                return now
        elif (now.fds, now.threads) != (last.fds, last.threads):
            steady_since = time.monotonic()
        elif time.monotonic() - steady_since >= 1.0:
            return now
        last = now
    return last


def trace_point(proc: subprocess.Popen[bytes], base: Path) -> str:
    """With ``SOAK_TRACEMALLOC`` set: ask the server for its allocation report and return it."""
    if not os.environ.get("SOAK_TRACEMALLOC"):
        return ""
    import signal

    output = base / "tracemalloc.txt"
    output.unlink(missing_ok=True)
    proc.send_signal(signal.SIGUSR2)
    deadline = time.monotonic() + 120
    while not output.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)  # let the write finish
    return output.read_text() if output.exists() else "(no tracemalloc report)"


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Wait until the server accepts connections (or fail if it exits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the server did not listen on port {port} within {timeout} s")


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_static(directory: Path) -> dict[str, bytes]:
    """Write the static files the site serves; return their contents by name."""
    rnd = random.Random(7)
    files = {
        "small.txt": b"small static file\n" * 6,
        "medium.bin": rnd.randbytes(32 * 1024),
        "big.bin": rnd.randbytes(256 * 1024),
    }
    directory.mkdir()
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return files


def unexpected_tracebacks(log: Path) -> list[str]:
    """Error log entries with a traceback that is not the deliberate ``/boom`` one."""
    if not log.exists():
        return []
    entries = re.split(r"\n(?=\[\d\d/\w\w\w/\d{4}:)", log.read_text(errors="replace"))
    return [entry[:500] for entry in entries if "Traceback" in entry and DELIBERATE not in entry]


def run_phase(
    port: int,
    workloads: list[Workload],
    users: list[list[User]],
    requests: int,
    login: bool,
    scan: int = 0,
) -> list[ClientStats]:
    """Run one client thread per workload until ``requests`` have been made in all."""
    count = len(workloads)
    results: list[ClientStats | None] = [None] * count
    shares = [requests // count + (1 if i < requests % count else 0) for i in range(count)]

    def client(index: int) -> None:
        try:
            results[index] = run_client(
                port, workloads[index], users[index], shares[index], login, scan // count
            )
        except Exception as exc:  # a bug in the load generator must not pass silently
            stats = ClientStats()
            stats.errors.append(f"client crashed: {type(exc).__name__}: {exc}")
            results[index] = stats

    threads = [threading.Thread(target=client, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [stats for stats in results if stats is not None]


def soak(
    requests: int = 100_000,
    warmup: int = 10_000,
    connections: int = 16,
    users: int = 160,
    scan: int = 6000,
    rss_growth: float = 0.10,
    seed: int = 1,
    python: str = sys.executable,
    settle_timeout: float = 60.0,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Start a server, warm it up, make ``requests`` mixed requests, check it did not leak."""
    import psutil

    say = progress or (lambda text: None)
    report = Report()
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        base = Path(tmp)
        static = make_static(base / "static")
        mtime = (base / "static" / "small.txt").stat().st_mtime
        sessions = base / "sessions"
        sessions.mkdir()
        port = free_port()
        log = open(base / "server.out", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [python, str(Path(__file__).resolve()), "--serve", str(port), str(base)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            try:
                wait_port(port, proc)
            except RuntimeError as exc:
                log.flush()
                tail = (base / "server.out").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{exc}; its output ends with:\n{tail}") from None
            process = psutil.Process(proc.pid)
            workloads = [Workload(port, static, mtime, seed * 1000 + i) for i in range(connections)]
            pool = [User(n) for n in range(users)]
            owned = [pool[i::connections] for i in range(connections)]

            say(f"warm-up: {users} users log in, {scan} missing URLs, then {warmup} requests")
            warm = run_phase(port, workloads, owned, warmup, login=True, scan=scan)
            report.baseline = settle(process, sessions, None, settle_timeout)
            trace_point(proc, base)

            samples = [report.baseline.rss]
            done = threading.Event()

            def sample() -> None:
                while not done.wait(0.5):
                    try:
                        samples.append(process.memory_info().rss)
                    except psutil.Error:
                        return

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            say(f"soak: {requests} requests at {connections} connections")
            started = time.perf_counter()
            measured = run_phase(port, workloads, owned, requests, login=False)
            report.seconds = time.perf_counter() - started
            done.set()
            sampler.join()
            report.end = settle(process, sessions, report.baseline, settle_timeout)
            report.allocations = trace_point(proc, base)
            samples.append(report.end.rss)
            report.peak_rss = max(samples)
            report.rss_curve = [
                samples[len(samples) * tenth // 10 - (tenth == 10)] / 2**20
                for tenth in range(1, 11)
            ]
        finally:
            alive = proc.poll() is None
            proc.kill()
            proc.wait()
            log.close()
        if not alive:
            report.problems.append(f"the server died (status {proc.returncode})")
        report.problems += [
            f"unexpected traceback: {t}" for t in unexpected_tracebacks(base / "error.log")
        ]

    for stats in warm + measured:
        report.errors += stats.errors
    kinds: Counter[str] = Counter()
    latencies: list[float] = []
    for stats in measured:
        report.requests += stats.requests
        report.connections += stats.connections
        kinds.update(stats.kinds)
        latencies += stats.latencies
    report.kinds = dict(sorted(kinds.items()))
    if latencies:
        cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
        report.latency_p50_ms = cuts[49] * 1000
        report.latency_p99_ms = cuts[98] * 1000
        report.latency_max_ms = max(latencies) * 1000

    b, e = report.baseline, report.end
    assert b is not None and e is not None
    report.rss_growth = e.rss / b.rss - 1
    if report.errors:
        report.problems.append(f"{len(report.errors)} failed requests")
    if report.requests != requests:
        report.problems.append(f"{report.requests} requests made, {requests} planned")
    if report.rss_growth > rss_growth:
        report.problems.append(f"RSS grew {report.rss_growth:.1%} (limit {rss_growth:.0%})")
    for name in ("fds", "threads", "session_files"):
        if getattr(e, name) > getattr(b, name):
            report.problems.append(f"{name} grew: {getattr(b, name)} -> {getattr(e, name)}")
    return report


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000, help="requests after warm-up")
    parser.add_argument("--warmup", type=int, default=10_000, help="warm-up requests")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--users", type=int, default=160, help="virtual users (sessions)")
    parser.add_argument(
        "--scan", type=int, default=6000, help="distinct missing URLs asked in the warm-up"
    )
    parser.add_argument("--rss-growth", type=float, default=0.10, help="allowed RSS growth")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--python", default=sys.executable, help="interpreter for the server")
    parser.add_argument("--json", action="store_true", help="also print the report as JSON")
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(int(args.serve[0]), args.serve[1])
        return 0
    report = soak(
        requests=args.requests,
        warmup=args.warmup,
        connections=args.connections,
        users=args.users,
        scan=args.scan,
        rss_growth=args.rss_growth,
        seed=args.seed,
        python=args.python,
        progress=lambda text: print(text, flush=True),
    )
    print(report.summary())
    if args.json:
        data = {k: v for k, v in vars(report).items() if k not in ("baseline", "end")}
        data["baseline"] = vars(report.baseline)
        data["end"] = vars(report.end)
        data["errors"] = report.errors[:50]
        print(json.dumps(data))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
