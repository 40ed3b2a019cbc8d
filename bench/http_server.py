"""HTTP benchmark: the same hello world on our server and on CherryPy 18.10 + cheroot (and
Bottle on waitress), in one run.

The server is pinned to CPU 0 and wrk to CPU 1.  For each implementation and each connection
count, it runs wrk ``--repeats`` times and reports the medians of req/s, p50 and p99 latency,
and the server's CPU time per request (utime + stime from /proc, divided by requests served).
Needs ``wrk`` and ``taskset`` (Debian packages wrk and util-linux).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its threads, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start")


def wrk_latency_ms(text: str, label: str) -> float:
    """The ``label`` percentile (``"99"``) of ``wrk --latency`` output, in milliseconds."""
    m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if not m:
        return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def parse_wrk(text: str) -> dict:
    def latency(label: str) -> float:
        return wrk_latency_ms(text, label)

    requests = int(re.search(r"(\d+) requests in", text).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return {
        "requests": requests,
        "rps": rps,
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "non2xx": int(errors.group(1)) if errors else 0,
    }


def bench_one(
    python: str, kind: str, connections: int, seconds: int, repeats: int, path: str = "/"
) -> dict:
    port = free_port()
    env = dict(os.environ, BENCH_BIG_FILE=str(big_file()))
    proc = subprocess.Popen(
        ["taskset", "-c", "0", python, str(HERE / "http_app.py"), kind, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        return measure_server(proc, port, path, connections, seconds, repeats)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


def measure_server(
    proc: subprocess.Popen, port: int, path: str, connections: int, seconds: int, repeats: int
) -> dict:
    """Warm up, then run wrk (pinned to CPU 1) ``repeats`` times against the server ``proc``
    listening on ``port``; the medians of wrk's figures and of the server's CPU per request."""
    wait_port(port)
    url = f"http://127.0.0.1:{port}{path}"
    wrk = ["taskset", "-c", "1", "wrk", "-t1", "-c", str(connections)]
    subprocess.run([*wrk, "-d1s", url], capture_output=True, check=True)
    runs = []
    for _ in range(repeats):
        before = cpu_seconds(proc.pid)
        out = subprocess.run(
            [*wrk, f"-d{seconds}s", "--latency", url], capture_output=True, text=True, check=True
        ).stdout
        used = cpu_seconds(proc.pid) - before
        result = parse_wrk(out)
        result["cpu_us_per_req"] = used / max(result["requests"], 1) * 1e6
        runs.append(result)
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def big_file() -> Path:
    """A 10 MiB file for the static-file benchmark (made once)."""
    path = Path("/tmp/cherrypy-kernel-bench-10MiB.bin")
    if not path.exists() or path.stat().st_size != 10 * 1024 * 1024:
        path.write_bytes(os.urandom(10 * 1024 * 1024))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--connections", default="8,64")
    parser.add_argument("--reference-python", default=None)
    parser.add_argument("--big-file", action="store_true", help="also serve a 10 MiB static file")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from run import reference_python

    ref = args.reference_python or reference_python()
    subjects = [
        ("ours (kernel + cherrypy-server)", sys.executable, "cherrypy"),
        ("CherryPy 18.10 + cheroot", ref, "cherrypy"),
    ]
    try:
        subprocess.run([ref, "-c", "import bottle, waitress"], check=True, capture_output=True)
        subjects.append(("Bottle on waitress", ref, "bottle-waitress"))
    except subprocess.CalledProcessError:
        pass
    results = {}
    for conns in [int(c) for c in args.connections.split(",")]:
        for label, python, kind in subjects:
            r = bench_one(python, kind, conns, args.seconds, args.repeats)
            results[f"{label} @ {conns} conns"] = r
            print(
                f"{label:34s} c={conns:<4d} {r['rps']:9.0f} req/s  p50 {r['p50_ms']:8.2f} ms  "
                f"p99 {r['p99_ms']:8.2f} ms  CPU {r['cpu_us_per_req']:7.1f} us/req  non2xx {r['non2xx']}",
                flush=True,
            )
    if args.big_file:
        for label, python, kind in subjects[:2]:
            r = bench_one(python, kind, 4, args.seconds, args.repeats, path="/big.bin")
            results[f"{label} 10 MiB file @ 4 conns"] = r
            print(
                f"{label:34s} 10MiB c=4  {r['rps']:9.1f} req/s  p50 {r['p50_ms']:8.2f} ms  "
                f"CPU {r['cpu_us_per_req']:9.1f} us/req",
                flush=True,
            )
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
