"""Issue 2's pipeline benchmark: a request through a compiled pipeline makes zero pluggy calls,
and a cached pipeline lookup costs well under a microsecond.  Prints one JSON line."""

from __future__ import annotations

import io
import json
import statistics
import sys
import time
import timeit

import cherrypy
from cherrypy.kernel import pipeline, plugins
from cherrypy.kernel.boot import boot


class Root:
    @cherrypy.expose
    def index(self):
        return "Hello World!"


def request(path: str = "/") -> bytes:
    env = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8080",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
    }
    result = cherrypy.tree(env, lambda status, headers, exc_info=None: None)
    body = b"".join(result)
    result.close()
    return body


def main() -> None:
    cherrypy.config.update({"environment": "production", "log.screen": False})
    cherrypy.tree.mount(Root(), "", {"/": {"tools.gzip.on": False}})
    boot()
    request()  # compile and cache
    calls = 0

    def before(hook_name, hook_impls, kwargs):
        nonlocal calls
        calls += 1

    undo = plugins.get_plugin_manager().add_hookcall_monitoring(before, lambda *a: None)
    n = 2000
    for _ in range(n):
        request()
    undo()

    app = cherrypy.tree.apps[""]
    sources = (cherrypy.config, app.config["/"])
    pipeline.entry_for_sources(app, sources, "/")
    per_lookup = []
    for _ in range(7):
        t = timeit.timeit(lambda: pipeline.entry_for_sources(app, sources, "/"), number=200000)
        per_lookup.append(t / 200000 * 1e9)
    print(
        json.dumps(
            {
                "requests": n,
                "pluggy_calls_during_requests": calls,
                "cached_lookup_ns_median": round(statistics.median(per_lookup), 1),
                "cache_stats": pipeline.stats(),
            }
        )
    )


if __name__ == "__main__":
    t0 = time.time()
    main()
