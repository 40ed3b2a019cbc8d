"""In-process cost of a hello-world request through the WSGI callable.

Runs under whichever ``cherrypy`` the interpreter imports (ours or CherryPy 18.10), so
``bench/run.py`` can call it with two interpreters and compare.  Prints one JSON line.
"""

from __future__ import annotations

import json
import statistics
import sys
import time

from wsgienv import environ

import cherrypy


class Root:
    @cherrypy.expose
    def index(self):
        return "Hello World!"


def main(requests: int = 20000, repeats: int = 7) -> None:
    cherrypy.config.update({"environment": "production", "log.screen": False})
    cherrypy.tree.mount(Root(), "", {"/": {}})
    app = cherrypy.tree

    def start_response(status, headers, exc_info=None):
        return None

    def one() -> None:
        env = environ("/")
        result = app(env, start_response)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close:
                close()
        assert body == b"Hello World!", body

    for _ in range(500):
        one()
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(requests):
            one()
        wall.append((time.perf_counter() - t0) / requests * 1e6)
        cpu.append((time.process_time() - c0) / requests * 1e6)
    print(
        json.dumps(
            {
                "impl": "cherrypy "
                + cherrypy.__version__
                + (" (kernel)" if hasattr(cherrypy, "kernel") else " (CherryPy)"),
                "requests_per_run": requests,
                "runs": repeats,
                "median_wall_us": statistics.median(wall),
                "median_cpu_us": statistics.median(cpu),
                "all_cpu_us": [round(x, 2) for x in cpu],
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
