"""Hello world over HTTP on our stack and its peers, side by side, in one run (issue 24).

The same page ("Hello World!", text/plain; ``bench/peer_apps.py``) is served by:

- ``ours``: the kernel + cherrypy-server (``cherrypy.quickstart``, production environment);
- ``cherrypy``: CherryPy 18.10 + cheroot, the same script;
- ``bottle-waitress``: Bottle on waitress;
- ``falcon-granian``, ``bottle-granian``, ``wsgi-granian``: Falcon, Bottle and a bare WSGI
  function on granian (``--interface wsgi --workers 1``);
- ``kernel-granian``, ``kernel-granian-w2``: the kernel's WSGI application (``cherrypy.tree``)
  on granian with 1 and 2 workers;
- ``bottle-granian-w2``, ``wsgi-granian-w2``: Bottle and the bare WSGI function on 2 granian
  workers, for what a second worker costs where no framework of ours is involved.

Each server runs pinned to CPU 0 (``taskset -c 0``; granian's worker processes inherit it) and
``wrk -t1`` to CPU 1.  A round starts every server in turn on a free port, waits for a 200 on
``/``, and for each connection count warms it up for a second and runs wrk for ``--seconds``;
then the server's process group is stopped.  Rounds alternate the order of the servers, and
each figure is the median over ``--repeats`` rounds.  Server CPU per request is utime + stime
(children's included) summed over the server's whole process tree (granian's supervisor and
workers) from /proc, before and after wrk, divided by the requests wrk completed.

The peers are installed on first use, with uv, from PyPI: CherryPy 18.10 into
``bench/.venv-cherrypy``; Falcon, Bottle, waitress and granian into ``bench/.venv-peers``; the
workspace (as ``nox -s bench`` installs it) plus the same granian into ``bench/.venv-granian``.
Needs ``wrk`` and ``taskset`` (Debian packages wrk and util-linux).

    python bench/peers.py [--seconds 5] [--repeats 3] [--connections 16,64]
                          [--only ours,cherrypy,...] [--json] [--quiet-wait 30]
                          [--granian-args '--blocking-threads 8'] [--save FILE]
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import os
import re
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from http_server import wrk_latency_ms  # bench/ is sys.path[0] when this script runs

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TICKS = os.sysconf("SC_CLK_TCK")
REF_VENV = HERE / ".venv-cherrypy"
REF_SPEC = "cherrypy==18.10.0"
PEERS_VENV = HERE / ".venv-peers"
PEERS_SPECS = ("falcon", "bottle", "waitress", "granian")
GRANIAN_VENV = HERE / ".venv-granian"
SERVER_CPU = "0"
CLIENT_CPU = "1"

# The ratio column: a row's name -> (the name of the row it is divided by, that row's short name).
RATIOS = {
    "ours": [("cherrypy", "CherryPy 18.10"), ("bottle-waitress", "Bottle/waitress")],
    "kernel-granian": [("bottle-granian", "Bottle/granian"), ("falcon-granian", "Falcon/granian")],
    "kernel-granian-w2": [("kernel-granian", "1 worker")],
    "bottle-granian-w2": [("bottle-granian", "1 worker")],
    "wsgi-granian-w2": [("wsgi-granian", "1 worker")],
}


# --- interpreters -------------------------------------------------------------------------


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def uv() -> str:
    """The uv executable: ``$UV_BIN``, the one the ``uv`` package ships, else ``uv`` on PATH."""
    if os.environ.get("UV_BIN"):
        return os.environ["UV_BIN"]
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if not found:
            raise RuntimeError("uv is needed to install the peers (pip install uv)") from None
        return found


def run_quiet(cmd: list[str], **kwargs) -> str:
    """Run ``cmd``; on failure raise with the tail of its output."""
    done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if done.returncode:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"{' '.join(cmd[:4])} ... failed: {' | '.join(tail)}")
    return done.stdout


def probe(python: str, code: str) -> str:
    return run_quiet([python, "-c", code]).strip()


ENTRY_POINTS = (
    "import sys; from importlib.metadata import entry_points; "
    "print(sys.version_info[:2], sorted(e.name + '=' + e.value "
    "for e in entry_points(group='cherrypy.plugins')))"
)


def new_venv(path: Path) -> str:
    """A fresh venv at ``path`` on the same Python as ours; its interpreter."""
    log(f"creating {path.relative_to(ROOT)} ...")
    run_quiet([uv(), "venv", "-q", "--clear", "--python", sys.executable, str(path)])
    return str(path / "bin" / "python")


def pip_install(python: str, *specs: str) -> None:
    run_quiet([uv(), "pip", "install", "-q", "--python", python, *specs])


@functools.cache
def reference_python() -> str:
    """CherryPy 18.10 + cheroot (``bench/.venv-cherrypy``, shared with ``bench/run.py``)."""
    python = REF_VENV / "bin" / "python"
    if not python.exists():
        pip_install(new_venv(REF_VENV), REF_SPEC)
    return str(python)


@functools.cache
def peers_python() -> str:
    """Falcon, Bottle, waitress and granian (``bench/.venv-peers``)."""
    python = PEERS_VENV / "bin" / "python"
    if not (PEERS_VENV / "bin" / "granian").exists():
        pip_install(new_venv(PEERS_VENV), *PEERS_SPECS)
    return str(python)


def granian_version(python: str) -> str:
    return probe(python, "import granian; print(granian.__version__)")


@functools.cache
def kernel_granian_python(ours: str) -> str:
    """The workspace and granian (``bench/.venv-granian``).

    Synced as ``nox -s bench`` syncs its own venv (all members, dev group, editable), plus the
    granian that ``bench/.venv-peers`` has.  Re-synced when its Python or its set of plugin
    entry points no longer matches ours (a member added or removed since it was made)."""
    python = str(GRANIAN_VENV / "bin" / "python")
    fresh = not (GRANIAN_VENV / "bin" / "granian").exists()
    if fresh:
        new_venv(GRANIAN_VENV)
    if fresh or probe(python, ENTRY_POINTS) != probe(ours, ENTRY_POINTS):
        log(f"syncing the workspace into {GRANIAN_VENV.relative_to(ROOT)} ...")
        env = dict(os.environ, UV_PROJECT_ENVIRONMENT=str(GRANIAN_VENV))
        env.pop("VIRTUAL_ENV", None)
        sync = [uv(), "sync", "-q", "--frozen", "--all-packages", "--group", "dev", "--inexact"]
        run_quiet(sync, cwd=ROOT, env=env)
        pip_install(python, f"granian=={granian_version(peers_python())}")
        if probe(python, ENTRY_POINTS) != probe(ours, ENTRY_POINTS):
            log("warning: bench/.venv-granian's cherrypy.plugins entry points differ from ours")
    return python


# --- the servers --------------------------------------------------------------------------


@dataclass
class Subject:
    name: str
    label: str
    python: Callable[[], str]  # the interpreter; may raise (its venv could not be made)
    argv: Callable[[str, int], list[str]]  # (python, port) -> command line

    error: str | None = None
    runs: dict[int, list[dict]] = field(default_factory=dict)


def script(kind: str):
    return lambda python, port: [python, str(HERE / "peer_apps.py"), kind, str(port)]


GRANIAN_EXTRA: list[str] = []  # --granian-args


def granian(factory: str, workers: int = 1):
    def argv(python: str, port: int) -> list[str]:
        exe = str(Path(python).parent / "granian")
        return [
            python, exe, "--interface", "wsgi", "--workers", str(workers), "--factory",
            "--host", "127.0.0.1", "--port", str(port), *GRANIAN_EXTRA, f"peer_apps:{factory}",
        ]  # fmt: skip

    return argv


def subjects(ours: str, ref: str | None) -> list[Subject]:
    ref_python = (lambda: ref) if ref else reference_python
    return [
        Subject("ours", "ours: kernel + cherrypy-server", lambda: ours, script("cherrypy")),
        Subject("cherrypy", "CherryPy 18.10 + cheroot", ref_python, script("cherrypy")),
        Subject("bottle-waitress", "Bottle on waitress", peers_python, script("bottle-waitress")),
        Subject("falcon-granian", "Falcon on granian", peers_python, granian("make_falcon")),
        Subject("bottle-granian", "Bottle on granian", peers_python, granian("make_bottle")),
        Subject("wsgi-granian", "bare WSGI on granian", peers_python, granian("make_wsgi")),
        Subject(
            "kernel-granian",
            "kernel (cherrypy.tree) on granian",
            lambda: kernel_granian_python(ours),
            granian("make_kernel"),
        ),
        Subject(
            "kernel-granian-w2",
            "kernel on granian, 2 workers",
            lambda: kernel_granian_python(ours),
            granian("make_kernel", workers=2),
        ),
        Subject(
            "bottle-granian-w2",
            "Bottle on granian, 2 workers",
            peers_python,
            granian("make_bottle", workers=2),
        ),
        Subject(
            "wsgi-granian-w2",
            "bare WSGI on granian, 2 workers",
            peers_python,
            granian("make_wsgi", workers=2),
        ),
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


class Server:
    """A server started in its own process group on CPU 0, stopped with its whole group."""

    def __init__(self, argv: list[str], port: int):
        self.port = port
        fd, name = tempfile.mkstemp(prefix="bench-peer-", suffix=".log")
        os.close(fd)
        self.log = Path(name)
        env = dict(os.environ, PYTHONPATH=str(HERE), PYTHONDONTWRITEBYTECODE="1")
        env.pop("VIRTUAL_ENV", None)
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                ["taskset", "-c", SERVER_CPU, *argv],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=HERE,
                env=env,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until ``GET /`` answers 200 with the page."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"exited with {self.proc.returncode}: {tail(self.log)}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/")
                response = conn.getresponse()
                body = response.read()
                conn.close()
                if response.status == 200 and body == b"Hello World!":
                    self.settle(deadline)
                    return
                last = f"{response.status} {body[:40]!r}"
            except OSError as exc:
                last = str(exc)
            time.sleep(0.1)
        raise RuntimeError(f"not ready after {timeout:.0f} s ({last}): {tail(self.log)}")

    def settle(self, deadline: float) -> None:
        """Until the process tree stops using CPU for 0.3 s: every worker has started (the
        first 200 may come from the first of granian's two workers)."""
        used = tree_cpu_seconds(self.proc.pid)
        while time.monotonic() < deadline:
            time.sleep(0.3)
            now = tree_cpu_seconds(self.proc.pid)
            if now - used < 0.02:
                return
            used = now

    def stop(self) -> None:
        for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(grace)
                # The leader is gone; let the rest of its group (granian's workers) go too.
                deadline = time.monotonic() + grace
                while group_alive(self.proc.pid) and time.monotonic() < deadline:
                    time.sleep(0.05)
                if not group_alive(self.proc.pid):
                    break
            except subprocess.TimeoutExpired:
                continue
        self.log.unlink(missing_ok=True)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- measuring ----------------------------------------------------------------------------


def process_table() -> dict[int, tuple[int, int]]:
    """pid -> (ppid, utime + stime + cutime + cstime in ticks) for every process."""
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        table[int(entry.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]))
    return table


def tree_cpu_seconds(root: int) -> float:
    """CPU time of ``root`` and all its descendants (threads and reaped children included)."""
    table = process_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        if pid in table:
            total += table[pid][1]
        stack.extend(children.get(pid, ()))
    return total / TICKS


def parse_wrk(text: str) -> dict:
    def latency(label: str) -> float:
        return wrk_latency_ms(text, label)

    m = re.search(r"(\d+) requests in", text)
    if not m:
        raise RuntimeError(f"wrk printed no request count: {text.strip()[-200:]}")
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return {
        "requests": int(m.group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "errors": (int(non2xx.group(1)) if non2xx else 0)
        + (sum(int(g) for g in socket_errors.groups()) if socket_errors else 0),
    }


def wrk(port: int, connections: int, seconds: int) -> str:
    cmd = ["taskset", "-c", CLIENT_CPU, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s"]
    cmd += ["--latency", f"http://127.0.0.1:{port}/"]
    return run_quiet(cmd, timeout=seconds + 60)


def load1() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def machine_busy_seconds() -> float:
    """CPU time spent by the whole machine (all CPUs, everything but idle and iowait)."""
    ticks = [int(t) for t in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq = ticks[:7]
    return (user + nice + system + irq + softirq) / TICKS


def children_seconds() -> float:
    """CPU time of this process's reaped children (wrk and taskset)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wait_quiet(server: Server, patience: float, threshold: float = 0.15) -> float:
    """Wait (at most ``patience`` seconds) until the rest of the machine has used less than
    ``threshold`` CPUs for a second; the seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < patience:
        busy, mine = machine_busy_seconds(), tree_cpu_seconds(server.proc.pid)
        time.sleep(1.0)
        others = machine_busy_seconds() - busy - (tree_cpu_seconds(server.proc.pid) - mine)
        if others < threshold:
            break
    return time.monotonic() - start


def measure(server: Server, connections: int, seconds: int, patience: float = 0.0) -> dict:
    """One wrk run against ``server``, after a second of warm-up.

    ``other_cpus`` is the CPU the rest of the machine used meanwhile (machine busy time less
    the server's and wrk's, per second of wall time; some loopback interrupt time lands
    there too): other people's load, which the 1-minute load average (``load1``) shows only
    mixed with the benchmark's own runnable threads."""
    waited = wait_quiet(server, patience) if patience > 0 else 0.0
    wrk(server.port, connections, 1)  # warm-up: connections made, caches filled
    load = load1()
    t0, busy0, kids0 = time.monotonic(), machine_busy_seconds(), children_seconds()
    before = tree_cpu_seconds(server.proc.pid)
    out = wrk(server.port, connections, seconds)
    used = tree_cpu_seconds(server.proc.pid) - before
    wall = time.monotonic() - t0
    others = machine_busy_seconds() - busy0 - used - (children_seconds() - kids0)
    result = parse_wrk(out)
    result["cpu_us_per_req"] = used / max(result["requests"], 1) * 1e6
    result["load1"] = load
    result["other_cpus"] = max(others, 0.0) / wall
    result["waited_s"] = waited
    return result


def run_round(subject: Subject, conns: list[int], seconds: int, patience: float) -> None:
    """Start ``subject``'s server, measure it at every connection count, stop it."""
    python = subject.python()
    port = free_port()
    server = Server(subject.argv(python, port), port)
    try:
        server.wait_ready()
        for c in conns:
            subject.runs.setdefault(c, []).append(measure(server, c, seconds, patience))
    finally:
        server.stop()


def check_tools() -> None:
    for tool, package in (("wrk", "wrk"), ("taskset", "util-linux")):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is needed: apt-get install -y {package}")


# --- the report ---------------------------------------------------------------------------


def summarize(subject: Subject, c: int) -> dict | None:
    runs = subject.runs.get(c)
    if not runs:
        return None
    keys = ("rps", "p50_ms", "p99_ms", "cpu_us_per_req", "errors")
    summary = {key: statistics.median(r[key] for r in runs) for key in keys}
    summary["errors"] = sum(r["errors"] for r in runs)
    summary["rounds"] = len(runs)
    return summary


def ratios(by_name: dict[str, Subject], name: str, c: int) -> list[dict]:
    mine = summarize(by_name[name], c) if name in by_name else None
    found = []
    for other, short in RATIOS.get(name, ()):
        theirs = summarize(by_name[other], c) if other in by_name else None
        if mine and theirs:
            found.append(
                {
                    "versus": other,
                    "short": short,
                    "cpu": mine["cpu_us_per_req"] / theirs["cpu_us_per_req"],
                    "rps": mine["rps"] / theirs["rps"],
                }
            )
    return found


def markdown(chosen: list[Subject], conns: list[int]) -> str:
    by_name = {s.name: s for s in chosen}
    lines = [
        "| server | conns | req/s | p99 | server CPU / request | CPU ratio (req/s ratio) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for c in conns:
        for s in chosen:
            summary = summarize(s, c)
            if summary is None:
                reason = (s.error or "no run").replace("|", "/")
                lines.append(f"| {s.label} | {c} | failed: {reason} | | | |")
                continue
            text = "; ".join(
                f"{r['cpu']:.2f} of {r['short']} ({r['rps']:.2f}x)"
                for r in ratios(by_name, s.name, c)
            )
            errors = f" ({summary['errors']} errors)" if summary["errors"] else ""
            lines.append(
                f"| {s.label} | {c} | {summary['rps']:,.0f}{errors} | {summary['p99_ms']:.2f} ms "
                f"| {summary['cpu_us_per_req']:.1f} µs | {text} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per run")
    parser.add_argument("--repeats", type=int, default=3, help="rounds (medians over them)")
    parser.add_argument("--connections", default="16,64", help="comma-separated counts")
    parser.add_argument("--only", default="", help="comma-separated server names (see above)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    parser.add_argument("--save", metavar="FILE", help="also write the JSON report to FILE")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each run, wait up to SECONDS for the rest of the machine to go quiet "
        "(< 0.15 CPU for a second); default: don't wait",
    )
    parser.add_argument(
        "--granian-args",
        default="",
        help="more granian options for every granian row, e.g. '--blocking-threads 8' "
        "(default: granian's own defaults)",
    )
    parser.add_argument("--ours-python", default=sys.executable)
    parser.add_argument("--reference-python", default=None, help="a CherryPy 18.10 interpreter")
    args = parser.parse_args()
    check_tools()

    conns = [int(c) for c in args.connections.split(",") if c.strip()]
    GRANIAN_EXTRA[:] = shlex.split(args.granian_args)
    chosen = subjects(args.ours_python, args.reference_python)
    if args.only:
        wanted = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = sorted(set(wanted) - {s.name for s in chosen})
        if unknown:
            parser.error(f"unknown server(s) {unknown}; known: {[s.name for s in chosen]}")
        chosen = [s for s in chosen if s.name in wanted]

    started = datetime.now(timezone.utc)
    loads = [Path("/proc/loadavg").read_text().strip()]
    for number in range(args.repeats):
        order = chosen if number % 2 == 0 else chosen[::-1]
        for subject in order:
            if subject.error and not subject.runs:
                continue  # it failed in an earlier round before measuring anything
            log(f"round {number + 1}/{args.repeats}: {subject.name}")
            try:
                run_round(subject, conns, args.seconds, args.quiet_wait)
            except Exception as exc:  # one peer's failure must not end the table
                subject.error = f"{type(exc).__name__}: {exc}"
                log(f"  {subject.name} failed: {subject.error}")
    loads.append(Path("/proc/loadavg").read_text().strip())
    every_run = [r for s in chosen for runs in s.runs.values() for r in runs]
    load_samples = [r["load1"] for r in every_run]
    others = [r["other_cpus"] for r in every_run]

    versions = {}
    for label, getter in (("ours", lambda: args.ours_python), ("peers", peers_python)):
        try:
            versions[label] = probe(getter(), "import sys; print(sys.version.split()[0])")
        except Exception as exc:
            versions[label] = f"unknown ({type(exc).__name__})"
    if PEERS_VENV.exists():
        try:
            versions["granian"] = granian_version(str(PEERS_VENV / "bin" / "python"))
        except RuntimeError:
            pass

    report = {
        "date": started.isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "seconds": args.seconds,
        "repeats": args.repeats,
        "loadavg": {"start": loads[0], "end": loads[-1]},
        "load1_during": load_samples,
        "other_cpus_during": others,
        "versions": versions,
        "granian_args": GRANIAN_EXTRA,
        "results": {
            s.name: {
                "label": s.label,
                "error": s.error,
                "by_connections": {
                    str(c): {
                        "median": summarize(s, c),
                        "runs": s.runs.get(c, []),
                        "ratios": ratios({x.name: x for x in chosen}, s.name, c),
                    }
                    for c in conns
                },
            }
            for s in chosen
        },
    }
    if args.save:
        Path(args.save).write_text(json.dumps(report, indent=2) + "\n")
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(markdown(chosen, conns))
    print()
    granian_args = " ".join(GRANIAN_EXTRA) or "defaults"
    print(
        f"{started:%Y-%m-%d %H:%M} UTC; medians of {args.repeats} interleaved rounds of "
        f"{args.seconds} s per point; Python {versions.get('ours')}; granian "
        f"{versions.get('granian', '-')} ({granian_args})."
    )
    if args.quiet_wait > 0 and every_run:
        waits = [r["waited_s"] for r in every_run]
        print(
            f"Each run waited for the rest of the machine to go quiet (up to "
            f"{args.quiet_wait:.0f} s): median {statistics.median(waits):.1f} s, "
            f"max {max(waits):.1f} s."
        )
    if every_run:
        print(
            f"Load: /proc/loadavg {loads[0]!r} at start, {loads[-1]!r} at end; 1-min load "
            f"before each run {min(load_samples):.2f}-{max(load_samples):.2f} (granian's "
            f"runnable threads count there too); CPU used by the rest of the machine during "
            f"the runs: median {statistics.median(others):.2f}, max {max(others):.2f} of 2 CPUs."
        )


if __name__ == "__main__":
    main()
