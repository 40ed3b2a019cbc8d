"""Server CPU per request, our stack next to CherryPy 18.10, over real HTTP for many pages.

One application (``bench/scenario_apps.py``, CherryPy 18 API only) is served by:

- ``ours``: our ``cherrypy.quickstart`` with our built-in server (production environment);
- ``cherrypy``: CherryPy 18.10 + cheroot, the same script, same config (8 worker threads);

and, as floors for the two scenarios whose cost is mostly outside any framework:

- ``floor-sendfile``: a bare threaded Python server answering every GET with a minimal
  HTTP/1.1 head and ``os.sendfile`` of the 10 MiB file (keep-alive; no parsing beyond the blank
  line ending the request);
- ``floor-gzip``: a bare selector-based Python server answering every GET by compressing the
  same ~4 KiB page with zlib (gzip container) at the level of CherryPy's ``tools.gzip``
  (``compress_level=5``, read from the reference interpreter) and sending it with
  ``Content-Encoding: gzip``.

The scenarios (``--only`` takes these names):

==========  ==============================================================  =====  ==========
name        request                                                         conns  target
==========  ==============================================================  =====  ==========
hello16     GET / ("Hello World!", text/plain)                              16     ours/CP 0.12
hello64     the same                                                        64     ours/CP 0.12
close       the same with ``Connection: close`` (a connection per request)  16     ours/CP 0.2
404         GET /missing (404 expected, wrk's non-2xx count)                16     ours/CP 0.2
static1k    GET of a 1 KiB file through ``tools.staticdir``                 16     ours/CP 0.2
static10m   GET of a 10 MiB file through ``tools.staticdir``                4      ours/floor 1.1
json_out    ``tools.json_out`` of a 10-key dict                             16     ours/CP 0.2
json_in     POST of that dict as JSON to ``tools.json_in`` (+ json_out)     16     ours/CP 0.2
session     ``tools.sessions`` (RAM), a counter incremented, one cookie     16     ours/CP 0.2
gzip        ``tools.gzip`` of ~4 KiB of HTML, ``Accept-Encoding: gzip``     16     ours/floor 1.1
generate    a streamed handler yielding 8 small str/bytes chunks            16     ours/CP 0.2
echo        POST of 1 KiB echoed back (``request.body.read()``)             16     ours/CP 0.2
==========  ==============================================================  =====  ==========

Method (the one of ``bench/peers.py``, whose helpers this script imports): the two framework
servers and the two floors are started once, each pinned to CPU 0 (``taskset -c 0``), on free
ports, and reused for every scenario.  The static files (1 KiB and 10 MiB) are made in a
temporary directory at start.  For each scenario and server: one urllib request checks the
status (and the body) first, wrk (``taskset -c 1 wrk -t1``) warms up for a second, then runs for
``--seconds``; the server's CPU time (utime + stime over its process tree, from /proc) before
and after, divided by the requests wrk completed, is its CPU per request.  POSTs go through a
wrk Lua script; the session scenario fetches its cookie with one urllib request and passes it
with ``-H``.  Each figure is the median over ``--repeats`` rounds; within a round the servers
take turns scenario by scenario, in alternating order from round to round.  Non-2xx answers
count as errors except in ``404``, where anything *but* a non-2xx is one.

Needs ``wrk`` and ``taskset``; CherryPy 18.10 comes from ``bench/.venv-cherrypy`` (made on first
use, as ``bench/peers.py`` makes it) unless ``--reference-python`` names an interpreter::

    python bench/scenarios.py --seconds 3 --repeats 3 [--only hello16,gzip,...] [--json]
                              [--save FILE] [--reference-python PY] [--quiet-wait SECONDS]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import re
import selectors
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

# bench/ is sys.path[0] when this script runs.
from peers import (
    CLIENT_CPU,
    Server,
    check_tools,
    children_seconds,
    free_port,
    load1,
    log,
    machine_busy_seconds,
    parse_wrk,
    probe,
    reference_python,
    run_quiet,
    tree_cpu_seconds,
    wait_quiet,
)
from scenario_apps import CHUNKS, DOCUMENT, DOCUMENT_JSON, ECHO_BODY, HELLO, PAGE

HERE = Path(__file__).resolve().parent
SIZES = {"1KiB.bin": 1024, "10MiB.bin": 10 * 1024 * 1024}
DEFAULT_GZIP_LEVEL = 5  # CherryPy 18.10: cherrypy/lib/encoding.py, gzip(compress_level=5, ...)
GZIP_LEVEL_PROBE = (
    "import inspect, cherrypy.lib.encoding as e; "
    "print(inspect.signature(e.gzip).parameters['compress_level'].default)"
)


# --- the scenarios ------------------------------------------------------------------------


Check = Callable[[int, dict[str, str], bytes], str | None]  # (status, headers, body) -> problem


def body_is(expected: bytes) -> Check:
    def check(status: int, headers: dict[str, str], body: bytes) -> str | None:
        return None if body == expected else f"body {body[:60]!r}..., not {expected[:60]!r}..."

    return check


def length_is(size: int) -> Check:
    def check(status: int, headers: dict[str, str], body: bytes) -> str | None:
        return None if len(body) == size else f"{len(body)} bytes, not {size}"

    return check


def json_is(expected: Any) -> Check:
    def check(status: int, headers: dict[str, str], body: bytes) -> str | None:
        try:
            found = json.loads(body)
        except ValueError:
            return f"not JSON: {body[:60]!r}"
        return None if found == expected else f"JSON {found!r}, not {expected!r}"

    return check


def gzipped_page(status: int, headers: dict[str, str], body: bytes) -> str | None:
    if headers.get("content-encoding") != "gzip":
        return f"Content-Encoding {headers.get('content-encoding')!r}, not gzip"
    try:
        plain = gzip.decompress(body)
    except (OSError, EOFError, zlib.error) as exc:
        return f"not gzip: {exc}"
    return None if plain == PAGE.encode() else "the page does not decompress to PAGE"


def digits(status: int, headers: dict[str, str], body: bytes) -> str | None:
    return None if body.isdigit() else f"body {body[:60]!r}, not a count"


def no_check(status: int, headers: dict[str, str], body: bytes) -> str | None:
    return None


@dataclass(frozen=True)
class Scenario:
    name: str
    label: str
    path: str
    connections: int = 16
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    status: int = 200
    check: Check = no_check
    floor: str | None = None  # the floor server it is compared with, else CherryPy 18.10
    target: float = 0.2  # ours / (floor or CherryPy), at most
    session: bool = False  # send a session cookie fetched beforehand


STREAMED = b"".join(c.encode() if isinstance(c, str) else c for c in CHUNKS)
SCENARIOS = [
    Scenario("hello16", "hello, 16 conns", "/", check=body_is(HELLO.encode()), target=0.12),
    Scenario("hello64", "hello, 64 conns", "/", 64, check=body_is(HELLO.encode()), target=0.12),
    Scenario(
        "close",
        "hello, Connection: close",
        "/",
        headers=(("Connection", "close"),),
        check=body_is(HELLO.encode()),
    ),
    Scenario("404", "404 (no handler)", "/missing", status=404),
    Scenario("static1k", "static 1 KiB", "/static/1KiB.bin", check=length_is(1024)),
    Scenario(
        "static10m",
        "static 10 MiB",
        "/static/10MiB.bin",
        4,
        check=length_is(SIZES["10MiB.bin"]),
        floor="floor-sendfile",
        target=1.1,
    ),
    Scenario("json_out", "json out", "/json_out", check=json_is(DOCUMENT)),
    Scenario(
        "json_in",
        "json in (POST)",
        "/json_in",
        method="POST",
        headers=(("Content-Type", "application/json"),),
        body=DOCUMENT_JSON.encode(),
        check=json_is({"keys": len(DOCUMENT)}),
    ),
    Scenario("session", "session hit (RAM)", "/session", check=digits, session=True),
    Scenario(
        "gzip",
        "gzip 4 KiB",
        "/gzip",
        headers=(("Accept-Encoding", "gzip"),),
        check=gzipped_page,
        floor="floor-gzip",
        target=1.1,
    ),
    Scenario("generate", "generate (8 chunks)", "/generate", check=body_is(STREAMED)),
    Scenario(
        "echo",
        "echo 1 KiB (POST)",
        "/echo",
        method="POST",
        headers=(("Content-Type", "application/octet-stream"),),
        body=ECHO_BODY.encode(),
        check=body_is(ECHO_BODY.encode()),
    ),
]


# --- the servers --------------------------------------------------------------------------


@dataclass
class Subject:
    name: str
    label: str
    argv: Callable[[int], list[str]]  # port -> command line
    floor: bool = False
    server: Server | None = None
    error: str | None = None
    cookie: str | None = None  # session_id=...
    runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # scenario -> why it has no figure


def start(subject: Subject) -> None:
    """Start ``subject``'s server on a free port and wait until it serves."""
    port = free_port()
    subject.server = Server(subject.argv(port), port)
    if subject.floor:
        wait_listening(subject.server)
    else:
        subject.server.wait_ready()  # GET / answers "Hello World!"


def wait_listening(server: Server, timeout: float = 30.0) -> None:
    """Until the server accepts a connection, then until its CPU use settles."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"exited with {server.proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
            server.settle(deadline)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"not listening after {timeout:.0f} s")


def request(port: int, scenario: Scenario, cookie: str | None) -> tuple[int, dict[str, str], bytes]:
    """One urllib request of ``scenario``: status, headers (lower-case names), body."""
    headers = dict(scenario.headers)
    if cookie:
        headers["Cookie"] = cookie
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{scenario.path}",
        data=scenario.body or None,
        headers=headers,
        method=scenario.method,
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            status, head, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        status, head, body = exc.code, exc.headers, exc.read()
    return status, {k.lower(): v for k, v in head.items()}, body


def session_cookie(port: int, path: str) -> str:
    """A fresh session's cookie (``session_id=...``), from one urllib request."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
        for value in response.headers.get_all("Set-Cookie") or ():
            m = re.match(r"\s*(session_id=[^;]+)", value)
            if m:
                return m.group(1)
    raise RuntimeError("no session_id cookie set")


# --- measuring ----------------------------------------------------------------------------


def lua_script(scenario: Scenario, directory: Path) -> Path | None:
    """A wrk script making ``scenario``'s POST (its body in a Lua long string), or None."""
    if scenario.method == "GET":
        return None
    body = scenario.body.decode()
    if "]==]" in body:
        raise ValueError("the body would end the Lua long string")
    lines = [f'wrk.method = "{scenario.method}"', f"wrk.body = [==[{body}]==]"]
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in scenario.headers]
    path = directory / f"{scenario.name}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


def wrk_command(
    port: int, scenario: Scenario, seconds: int, cookie: str | None, script: Path | None
) -> list[str]:
    cmd = ["taskset", "-c", CLIENT_CPU, "wrk", "-t1", f"-c{scenario.connections}"]
    cmd += [f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", str(script)]
    else:
        for name, value in scenario.headers:
            cmd += ["-H", f"{name}: {value}"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    return [*cmd, f"http://127.0.0.1:{port}{scenario.path}"]


def measure(
    subject: Subject, scenario: Scenario, seconds: int, script: Path | None, patience: float
) -> dict[str, Any]:
    """Check one request, warm up for a second, then one wrk run; its figures."""
    server = subject.server
    assert server is not None
    cookie = None
    if scenario.session:
        if subject.cookie is None:
            subject.cookie = session_cookie(server.port, scenario.path)
        cookie = subject.cookie
    status, headers, body = request(server.port, scenario, cookie)
    if status != scenario.status:
        raise RuntimeError(f"status {status}, not {scenario.status}: {body[:80]!r}")
    problem = scenario.check(status, headers, body)
    if problem:
        raise RuntimeError(problem)

    waited = wait_quiet(server, patience) if patience > 0 else 0.0
    run_quiet(wrk_command(server.port, scenario, 1, cookie, script), timeout=60)  # warm-up
    load = load1()
    t0, busy0, kids0 = time.monotonic(), machine_busy_seconds(), children_seconds()
    before = tree_cpu_seconds(server.proc.pid)
    out = run_quiet(
        wrk_command(server.port, scenario, seconds, cookie, script), timeout=seconds + 60
    )
    used = tree_cpu_seconds(server.proc.pid) - before
    wall = time.monotonic() - t0
    others = machine_busy_seconds() - busy0 - used - (children_seconds() - kids0)

    result = parse_wrk(out)  # its "errors" lump non-2xx and socket errors together
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non2xx"] = int(non2xx.group(1)) if non2xx else 0
    socket_errors = result["errors"] - result["non2xx"]
    if scenario.status < 300:
        result["errors"] = result["non2xx"] + socket_errors
    else:  # every answer should be the error status
        result["errors"] = result["requests"] - result["non2xx"] + socket_errors
    result["socket_errors"] = socket_errors
    result["cpu_us_per_req"] = used / max(result["requests"], 1) * 1e6
    result["load1"] = load
    result["other_cpus"] = max(others, 0.0) / wall
    result["waited_s"] = waited
    return result


# --- the floors (run as ``python scenarios.py floor KIND PORT ARG``) ------------------------

CRLF2 = b"\r\n\r\n"


def floor_sendfile(port: int, path: str) -> None:
    """Every GET: a minimal head, then ``os.sendfile`` of the file; a thread per connection."""
    fd = os.open(path, os.O_RDONLY)
    size = os.fstat(fd).st_size
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Length: %d\r\n\r\n" % size
    )

    def serve(conn: socket.socket) -> None:
        buffer = b""
        out = conn.fileno()
        with conn, contextlib.suppress(OSError):
            while True:
                while CRLF2 not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                buffer = buffer.split(CRLF2, 1)[1]
                conn.send(head, socket.MSG_MORE)
                offset = 0
                while offset < size:
                    offset += os.sendfile(out, fd, offset, size - offset)

    listener = socket.create_server(("127.0.0.1", port), backlog=128)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


def floor_gzip(port: int, level: int) -> None:
    """Every GET: ``PAGE`` compressed anew (zlib, gzip container, ``level``); one thread, epoll."""
    page = PAGE.encode()
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html;charset=utf-8\r\n"
        b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
    )
    listener = socket.create_server(("127.0.0.1", port), backlog=128)
    listener.setblocking(False)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    buffers: dict[socket.socket, bytes] = {}
    while True:
        for key, _ in selector.select():
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            if sock is listener:
                with contextlib.suppress(BlockingIOError):
                    while True:
                        conn, _ = listener.accept()
                        conn.setblocking(True)  # only read when ready; writes are small
                        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                        buffers[conn] = b""
                        selector.register(conn, selectors.EVENT_READ)
                continue
            try:
                data = sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                selector.unregister(sock)
                del buffers[sock]
                sock.close()
                continue
            buffer = buffers[sock] + data
            answers = []
            while CRLF2 in buffer:
                buffer = buffer.split(CRLF2, 1)[1]
                z = zlib.compressobj(level, zlib.DEFLATED, 31)
                body = z.compress(page) + z.flush()
                answers.append(head % len(body) + body)
            buffers[sock] = buffer
            if answers:
                with contextlib.suppress(OSError):
                    sock.sendall(b"".join(answers))


def run_floor(argv: list[str]) -> None:
    kind, port, arg = argv
    if kind == "sendfile":
        floor_sendfile(int(port), arg)
    elif kind == "gzip":
        floor_gzip(int(port), int(arg))
    else:
        raise SystemExit(f"unknown floor {kind!r}")


# --- the report ---------------------------------------------------------------------------


def median_of(subject: Subject | None, name: str) -> dict[str, Any] | None:
    runs = subject.runs.get(name) if subject else None
    if not runs:
        return None
    keys = ("cpu_us_per_req", "rps", "p50_ms", "p99_ms")
    summary: dict[str, Any] = {k: statistics.median(r[k] for r in runs) for k in keys}
    summary["errors"] = sum(r["errors"] for r in runs)
    summary["requests"] = sum(r["requests"] for r in runs)
    summary["rounds"] = len(runs)
    return summary


def comparison(by_name: dict[str, Subject], scenario: Scenario) -> dict[str, Any]:
    ours = median_of(by_name.get("ours"), scenario.name)
    versus = scenario.floor or "cherrypy"
    theirs = median_of(by_name.get(versus), scenario.name)
    ratio = ours["cpu_us_per_req"] / theirs["cpu_us_per_req"] if ours and theirs else None
    reference = median_of(by_name.get("cherrypy"), scenario.name)
    return {
        "versus": versus,
        "ratio": ratio,
        "target": scenario.target,
        "met": None if ratio is None else ratio <= scenario.target,
        "ours_vs_cherrypy": (
            ours["cpu_us_per_req"] / reference["cpu_us_per_req"] if ours and reference else None
        ),
    }


def cell(subject: Subject | None, name: str) -> str:
    if subject is None:
        return "-"
    summary = median_of(subject, name)
    if summary is None:
        why = subject.errors.get(name) or subject.error or "no run"
        return "failed: " + why.replace("|", "/")[:80]
    errors = f", {summary['errors']} errors" if summary["errors"] else ""
    return f"{summary['cpu_us_per_req']:,.1f} µs ({summary['rps']:,.0f} req/s{errors})"


def markdown(by_name: dict[str, Subject], chosen: list[Scenario]) -> str:
    lines = [
        "| scenario | conns | ours CPU/request | CherryPy 18.10 CPU/request | ratio | target | met? |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for scenario in chosen:
        c = comparison(by_name, scenario)
        if c["ratio"] is None:
            ratio = "-"
        elif scenario.floor:
            also = c["ours_vs_cherrypy"]
            ratio = f"{c['ratio']:.2f} of floor" + (f" ({also:.2f} of CP)" if also else "")
        else:
            ratio = f"{c['ratio']:.3f}"
        met = "-" if c["met"] is None else "yes" if c["met"] else "no"
        versus = "floor" if scenario.floor else "CP"
        lines.append(
            f"| {scenario.label} | {scenario.connections} | {cell(by_name['ours'], scenario.name)} "
            f"| {cell(by_name['cherrypy'], scenario.name)} | {ratio} "
            f"| ≤ {scenario.target}x {versus} | {met} |"
        )
    for scenario in chosen:
        if scenario.floor:
            floor = by_name[scenario.floor]
            lines.append(
                f"| floor: {floor.label} | {scenario.connections} "
                f"| {cell(floor, scenario.name)} | | | | |"
            )
    return "\n".join(lines)


# --- main ---------------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "floor":
        run_floor(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=3, help="wrk duration per run")
    parser.add_argument("--repeats", type=int, default=3, help="rounds (medians over them)")
    parser.add_argument("--only", default="", help="comma-separated scenario names (see above)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    parser.add_argument("--save", metavar="FILE", help="also write the JSON report to FILE")
    parser.add_argument("--reference-python", default=None, help="a CherryPy 18.10 interpreter")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each run, wait up to SECONDS for the rest of the machine to go quiet",
    )
    args = parser.parse_args()
    check_tools()

    chosen = SCENARIOS
    if args.only:
        wanted = [n.strip() for n in args.only.split(",") if n.strip()]
        known = [s.name for s in SCENARIOS]
        unknown = sorted(set(wanted) - set(known))
        if unknown:
            parser.error(f"unknown scenario(s) {unknown}; known: {known}")
        chosen = [s for s in SCENARIOS if s.name in wanted]

    ref = args.reference_python or reference_python()
    try:
        level = int(probe(ref, GZIP_LEVEL_PROBE))
    except (RuntimeError, ValueError):
        level = DEFAULT_GZIP_LEVEL
        log(f"could not read tools.gzip's default level; using {level}")

    started = datetime.now(timezone.utc)
    loads = [Path("/proc/loadavg").read_text().strip()]
    with tempfile.TemporaryDirectory(prefix="bench-scenarios-") as tmp:
        directory = Path(tmp)
        static = directory / "static"
        static.mkdir()
        for name, size in SIZES.items():
            (static / name).write_bytes(os.urandom(size))
        app, me = str(HERE / "scenario_apps.py"), str(Path(__file__).resolve())
        big = str(static / "10MiB.bin")
        subjects = [
            Subject(
                "ours",
                "ours: kernel + built-in server",
                lambda port: [sys.executable, app, str(port), str(static)],
            ),
            Subject(
                "cherrypy",
                "CherryPy 18.10 + cheroot",
                lambda port: [ref, app, str(port), str(static)],
            ),
            Subject(
                "floor-sendfile",
                "bare Python, os.sendfile, thread per connection",
                lambda port: [sys.executable, me, "floor", "sendfile", str(port), big],
                floor=True,
            ),
            Subject(
                "floor-gzip",
                f"bare Python, zlib level {level} per request, epoll",
                lambda port: [sys.executable, me, "floor", "gzip", str(port), str(level)],
                floor=True,
            ),
        ]
        floors_needed = {s.floor for s in chosen if s.floor}
        subjects = [s for s in subjects if not s.floor or s.name in floors_needed]
        by_name = {s.name: s for s in subjects}
        scripts = {s.name: lua_script(s, directory) for s in chosen}

        try:
            for subject in subjects:
                log(f"starting {subject.name} ...")
                try:
                    start(subject)
                except Exception as exc:
                    subject.error = f"{type(exc).__name__}: {exc}"
                    log(f"  {subject.name} failed to start: {subject.error}")
            for number in range(args.repeats):
                for scenario in chosen:
                    names = ["ours", "cherrypy"] + ([scenario.floor] if scenario.floor else [])
                    if number % 2:
                        names.reverse()
                    for name in names:
                        subject = by_name[name]
                        if subject.error or subject.server is None:
                            continue
                        log(f"round {number + 1}/{args.repeats}: {scenario.name} on {name}")
                        try:
                            result = measure(
                                subject,
                                scenario,
                                args.seconds,
                                scripts[scenario.name],
                                args.quiet_wait,
                            )
                        except Exception as exc:  # one failure must not end the table
                            subject.errors[scenario.name] = f"{type(exc).__name__}: {exc}"
                            log(f"  failed: {subject.errors[scenario.name]}")
                            continue
                        subject.runs.setdefault(scenario.name, []).append(result)
                        log(
                            f"  {result['cpu_us_per_req']:,.1f} µs/request, "
                            f"{result['rps']:,.0f} req/s, {result['errors']} errors"
                        )
        finally:
            for subject in subjects:
                if subject.server is not None:
                    subject.server.stop()
    loads.append(Path("/proc/loadavg").read_text().strip())

    versions = {"ours": probe(sys.executable, "import sys; print(sys.version.split()[0])")}
    with contextlib.suppress(RuntimeError):
        versions["reference"] = probe(
            ref,
            "import sys, cherrypy, cheroot; print(sys.version.split()[0], "
            "cherrypy.__version__, cheroot.__version__)",
        )
    every_run = [r for s in subjects for runs in s.runs.values() for r in runs]
    others = [r["other_cpus"] for r in every_run]
    report = {
        "date": started.isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "seconds": args.seconds,
        "repeats": args.repeats,
        "gzip_level": level,
        "loadavg": {"start": loads[0], "end": loads[-1]},
        "other_cpus_during": others,
        "versions": versions,
        "scenarios": {
            scenario.name: {
                "label": scenario.label,
                "path": scenario.path,
                "method": scenario.method,
                "connections": scenario.connections,
                "comparison": comparison(by_name, scenario),
                "results": {
                    s.name: {
                        "median": median_of(s, scenario.name),
                        "runs": s.runs.get(scenario.name, []),
                        "error": s.errors.get(scenario.name) or s.error,
                    }
                    for s in subjects
                    if s.name in ("ours", "cherrypy", scenario.floor)
                },
            }
            for scenario in chosen
        },
    }
    if args.save:
        Path(args.save).write_text(json.dumps(report, indent=2) + "\n")
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(markdown(by_name, chosen))
    print()
    print(
        f"{started:%Y-%m-%d %H:%M} UTC; medians of {args.repeats} interleaved round(s) of "
        f"{args.seconds} s per figure; server on CPU 0, wrk -t1 on CPU 1; Python "
        f"{versions['ours']} (ours), {versions.get('reference', '?')} (Python, CherryPy, cheroot "
        f"of the reference); floors on our Python; gzip level {level}."
    )
    line = f"/proc/loadavg {loads[0]!r} at start, {loads[-1]!r} at end"
    if others:
        line += (
            f"; CPU used by the rest of the machine during the runs: median "
            f"{statistics.median(others):.2f}, max {max(others):.2f} of 2 CPUs"
        )
    print(line + ".")


if __name__ == "__main__":
    main()
