"""Added CPU cost of a session hit over a plain request, through the WSGI callable in process.

Runs under whichever ``cherrypy`` the interpreter imports (ours or CherryPy 18.10), like
``wsgi_hello.py``.  Two handlers are mounted: ``/plain`` (no sessions) and ``/hit`` (sessions on;
the handler reads and increments a counter in the session).  Both requests carry the same
session cookie, as a browser sends it to every page of the site.  CherryPy parses that header
for every request, so its parsing is in CherryPy's baseline; cherrypy-kernel only checks it on
a plain request and reads it when something asks (here the sessions tool), so for us finding
the id in the header counts in the added cost.  The figures are medians (and minimums) of
per-request CPU time over alternating runs; the added cost is ``hit - plain``.  Prints one
JSON line::

    python bench/sessions_hit.py [requests] [--backend ram|file]
    python bench/sessions_hit.py --compare /tmp/cpref/bin/python   # both, and the ratio

With ``--compare``, the script runs itself under this interpreter and under the given one
and prints both lines and the ratios of our added cost to the other's (from the medians and
from the minimums).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from wsgienv import environ


def _environ(path: str, cookie: str | None) -> dict:
    return environ(path, **({"HTTP_COOKIE": cookie} if cookie else {}))


def measure(requests: int, repeats: int, backend: str) -> dict:
    """Time ``/plain`` and ``/hit`` in alternating runs; return the JSON-ready figures."""
    import cherrypy

    class Root:
        @cherrypy.expose
        def plain(self):
            return "Hello World!"

        @cherrypy.expose
        def hit(self):
            count = cherrypy.session.get("count", 0) + 1
            cherrypy.session["count"] = count
            return "Hello World!"

    session_conf = {"tools.sessions.on": True}
    storage = None
    if backend == "file":
        storage = tempfile.mkdtemp(prefix="bench-sessions-")
        session_conf["tools.sessions.storage_type"] = "file"
        session_conf["tools.sessions.storage_path"] = storage
        if not hasattr(cherrypy, "kernel"):  # CherryPy 18.10 wants the class
            from cherrypy.lib import sessions

            del session_conf["tools.sessions.storage_type"]
            session_conf["tools.sessions.storage_class"] = sessions.FileSession
    cherrypy.config.update({"environment": "production", "log.screen": False})
    cherrypy.tree.mount(Root(), "", {"/hit": session_conf})
    app = cherrypy.tree
    captured: dict = {}

    def start_response(status, headers, exc_info=None):
        captured["status"] = status
        captured["headers"] = headers

    def call(path: str, cookie: str | None) -> bytes:
        env = _environ(path, cookie)
        result = app(env, start_response)
        try:
            return b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close:
                close()

    call("/hit", None)
    set_cookie = [v for k, v in captured["headers"] if k.lower() == "set-cookie"]
    cookie = set_cookie[0].split(";", 1)[0]
    call("/hit", cookie)
    first_id = cookie
    call("/hit", cookie)
    again = next(v for k, v in captured["headers"] if k.lower() == "set-cookie").split(";", 1)[0]
    assert again == first_id, (again, first_id)

    def run(path: str, cookie: str | None) -> tuple[float, float]:
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(requests):
            body = call(path, cookie)
        wall = (time.perf_counter() - t0) / requests * 1e6
        cpu = (time.process_time() - c0) / requests * 1e6
        assert body == b"Hello World!", body
        return wall, cpu

    for _ in range(3):
        run("/plain", cookie)
        run("/hit", cookie)
    plain_cpu, hit_cpu, plain_wall, hit_wall = [], [], [], []
    for _ in range(repeats):
        wall, cpu = run("/plain", cookie)
        plain_wall.append(wall)
        plain_cpu.append(cpu)
        wall, cpu = run("/hit", cookie)
        hit_wall.append(wall)
        hit_cpu.append(cpu)
    if storage:
        import shutil

        shutil.rmtree(storage, ignore_errors=True)
    plain, hit = statistics.median(plain_cpu), statistics.median(hit_cpu)
    best_plain, best_hit = min(plain_cpu), min(hit_cpu)
    return {
        "impl": "cherrypy "
        + cherrypy.__version__
        + (" (kernel)" if hasattr(cherrypy, "kernel") else " (CherryPy)"),
        "backend": backend,
        "requests_per_run": requests,
        "runs": repeats,
        "plain_cpu_us": round(plain, 2),
        "hit_cpu_us": round(hit, 2),
        "added_cpu_us": round(hit - plain, 2),
        "min_plain_cpu_us": round(best_plain, 2),
        "min_hit_cpu_us": round(best_hit, 2),
        "min_added_cpu_us": round(best_hit - best_plain, 2),
        "plain_wall_us": round(statistics.median(plain_wall), 2),
        "hit_wall_us": round(statistics.median(hit_wall), 2),
    }


def compare(other_python: str, requests: int, repeats: int, backend: str) -> None:
    """Run this script under both interpreters and print both results and the ratio."""
    args = [os.path.abspath(__file__), str(requests), "--repeats", str(repeats)]
    args += ["--backend", backend]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    results = []
    for python in (sys.executable, other_python):
        out = subprocess.run(
            [python, *args], check=True, capture_output=True, text=True, env=env
        ).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    ours, theirs = results
    for result in results:
        print(json.dumps(result))
    print(
        json.dumps(
            {
                "ratio_added_cpu": round(ours["added_cpu_us"] / theirs["added_cpu_us"], 3),
                "ratio_min_added_cpu": round(
                    ours["min_added_cpu_us"] / theirs["min_added_cpu_us"], 3
                ),
                "target": "<= 0.333",
            }
        )
    )


def main() -> None:
    """Parse the command line and run the benchmark (or the comparison)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("requests", nargs="?", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--backend", choices=("ram", "file"), default="ram")
    parser.add_argument("--compare", metavar="PYTHON", help="also run under PYTHON; print ratio")
    args = parser.parse_args()
    if args.compare:
        compare(args.compare, args.requests, args.repeats, args.backend)
    else:
        print(json.dumps(measure(args.requests, args.repeats, args.backend)))


if __name__ == "__main__":
    main()
