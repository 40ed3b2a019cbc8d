"""1,000 GETs of a hello world: ``cherrypy.testing.Client`` in process, then over HTTP.

The same application is requested through the test client (no socket, the whole pipeline,
cookie jar included) and through ``cherrypy.testing.serve`` (cherrypy-server on an ephemeral
port) with a keep-alive ``requests.Session``.  Each figure is the median of ``--repeats`` runs
of ``--requests`` GETs, in seconds.  Prints one JSON line; docs/performance.md quotes it.

    python bench/testing_client.py [--requests 1000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import requests

import cherrypy
from cherrypy.testing import Client, reset, serve


class Root:
    @cherrypy.expose
    def index(self) -> str:
        return "Hello World!"


def _median_seconds(run: Callable[[], None], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(count: int = 1000, repeats: int = 7) -> dict[str, float]:
    """Measure both ways; return the medians in seconds for ``count`` GETs."""
    reset()
    cherrypy.config.update({"log.screen": False, "log.access_file": "", "log.error_file": ""})
    with Client(Root(), {"/": {}}) as client:
        assert client.get("/").text == "Hello World!"

        def through_client() -> None:
            for _ in range(count):
                client.get("/")

        in_process = _median_seconds(through_client, repeats)
        with serve(cherrypy.tree) as base, requests.Session() as session:
            assert session.get(base + "/", timeout=5).text == "Hello World!"

            def over_http() -> None:
                for _ in range(count):
                    session.get(base + "/", timeout=5)

            http = _median_seconds(over_http, repeats)
    result = {"requests": count, "client_s": round(in_process, 4), "http_s": round(http, 4)}
    result["ratio"] = round(http / in_process, 2)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(main(args.requests, args.repeats)))
