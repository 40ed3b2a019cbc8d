"""In-process cost of serving a static file with ``tools.staticdir`` through the WSGI callable.

Two files, 1 KiB and 10 MiB, are served from a temporary directory; each request's body is
consumed (iterated to the end, as a server would) and its length checked.  The environ has
no ``wsgi.file_wrapper``, so both implementations read the file in Python: what is measured
is the framework's CPU per request, not ``sendfile``.

Runs under whichever ``cherrypy`` the interpreter imports (ours or CherryPy 18.10)::

    .venv/bin/python bench/static_files.py
    /tmp/cpref/bin/python bench/static_files.py

Prints one JSON line per file size.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time

from wsgienv import environ

import cherrypy

SIZES = {"1KiB": 1024, "10MiB": 10 * 1024 * 1024}
REQUESTS = {"1KiB": 5000, "10MiB": 100}


class Root:
    @cherrypy.expose
    def index(self):
        return "Hello World!"


def base_environ(path: str) -> dict:
    """A GET request for ``path`` as a WSGI server would pass it."""
    return environ(path)


def measure(label: str, size: int, requests: int, repeats: int) -> dict:
    """CPU and wall time per request for the file of ``size`` bytes."""
    app = cherrypy.tree
    env_template = base_environ(f"/static/{label}.bin")
    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    def one() -> None:
        env = dict(env_template)
        result = app(env, start_response)
        received = 0
        try:
            for chunk in result:
                received += len(chunk)
        finally:
            close = getattr(result, "close", None)
            if close:
                close()
        assert received == size, (received, size, statuses[-1:])

    for _ in range(max(3, requests // 10)):
        one()
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(requests):
            one()
        wall.append((time.perf_counter() - t0) / requests * 1e6)
        cpu.append((time.process_time() - c0) / requests * 1e6)
    assert statuses[-1].startswith("200"), statuses[-1]
    return {
        "impl": "cherrypy "
        + cherrypy.__version__
        + (" (kernel)" if hasattr(cherrypy, "kernel") else " (CherryPy)"),
        "file": label,
        "bytes": size,
        "requests_per_run": requests,
        "runs": repeats,
        "median_wall_us": statistics.median(wall),
        "median_cpu_us": statistics.median(cpu),
        "all_cpu_us": [round(x, 1) for x in cpu],
    }


def main(scale: float = 1.0, repeats: int = 7) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for label, size in SIZES.items():
            with open(os.path.join(folder, f"{label}.bin"), "wb") as f:
                f.write(os.urandom(size))
        cherrypy.config.update({"environment": "production", "log.screen": False})
        conf = {"/": {}, "/static": {"tools.staticdir.on": True, "tools.staticdir.dir": folder}}
        cherrypy.tree.mount(Root(), "", conf)
        for label, size in SIZES.items():
            requests = max(1, int(REQUESTS[label] * scale))
            print(json.dumps(measure(label, size, requests, repeats)))


if __name__ == "__main__":
    main(
        float(sys.argv[1]) if len(sys.argv) > 1 else 1.0,
        int(sys.argv[2]) if len(sys.argv) > 2 else 7,
    )
