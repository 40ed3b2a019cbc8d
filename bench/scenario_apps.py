"""The pages of ``bench/scenarios.py``: one CherryPy application, run by either CherryPy.

``python scenario_apps.py PORT [STATIC_DIR]`` runs ``cherrypy.quickstart`` with whichever
``cherrypy`` the interpreter imports (ours with its built-in server, or CherryPy 18.10 with
cheroot), production environment, 8 worker threads, on 127.0.0.1:PORT.  It uses the CherryPy
18 API only.  The pages:

- ``/``            "Hello World!", text/plain (set by the handler);
- ``/static/...``  ``tools.staticdir`` on STATIC_DIR (``bench/scenarios.py`` puts a 1 KiB and a
                   10 MiB file there; without the argument, an empty temporary directory);
- ``/json_out``    a 10-key dict through ``tools.json_out``;
- ``/json_in``     POST of a JSON document through ``tools.json_in`` (+ json_out): its key count;
- ``/session``     ``tools.sessions.on`` (RAM): increments a counter in ``cherrypy.session``;
- ``/gzip``        ``tools.gzip.on``: ``PAGE``, about 4 KiB of HTML;
- ``/generate``    a streamed (``response.stream``) generator of 8 small str and bytes chunks;
- ``/echo``        POST: the request body, read with ``cherrypy.request.body.read()``.

The constants (``DOCUMENT``, ``PAGE``, ``ECHO_BODY``, ``CHUNKS``) are shared with the benchmark
and its floor servers, so ``cherrypy`` is only imported when the application is built.
"""

from __future__ import annotations

import json
import sys
import tempfile
from typing import Any

THREADS = 8
HELLO = "Hello World!"
DOCUMENT: dict[str, Any] = {
    "id": 123,
    "name": "widget",
    "tags": ["a", "b", "c"],
    "price": 12.5,
    "active": True,
    "nested": {"x": 1, "y": [1, 2, 3]},
    "owner": "alice",
    "created": "2024-01-01T00:00:00Z",
    "stock": 42,
    "ratio": 0.25,
}
DOCUMENT_JSON = json.dumps(DOCUMENT)
WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india")


def _page(size: int = 4096) -> str:
    """About ``size`` characters of HTML list items, varied enough not to compress to nothing."""
    lines, i = [], 0
    while sum(map(len, lines)) < size:
        words = " ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(5))
        lines.append(f'<li id="item-{i}" class="row-{i % 3}">{i * 37 % 1000}: {words}</li>\n')
        i += 1
    return "".join(lines)[:size]


PAGE = _page()
ECHO_BODY = ("0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOPQRSTUVWXYZ\n" * 16)[:1024]
CHUNKS: list[str | bytes] = [
    f"chunk {i}: streamed text\n" if i % 2 == 0 else f"chunk {i}: streamed bytes\n".encode()
    for i in range(8)
]


def make_root() -> Any:
    """The root object (imports ``cherrypy``)."""
    import cherrypy

    class Root:
        @cherrypy.expose
        def index(self) -> str:
            cherrypy.response.headers["Content-Type"] = "text/plain"
            return HELLO

        @cherrypy.expose
        @cherrypy.tools.json_out()
        def json_out(self) -> dict[str, Any]:
            return DOCUMENT

        @cherrypy.expose
        @cherrypy.tools.json_in()
        @cherrypy.tools.json_out()
        def json_in(self) -> dict[str, int]:
            return {"keys": len(cherrypy.request.json)}

        @cherrypy.expose
        def session(self) -> str:
            count = cherrypy.session.get("count", 0) + 1
            cherrypy.session["count"] = count
            return str(count)

        @cherrypy.expose
        def gzip(self) -> str:
            return PAGE

        @cherrypy.expose
        def generate(self) -> Any:
            yield from CHUNKS

        generate._cp_config = {"response.stream": True}

        @cherrypy.expose
        def echo(self) -> bytes:
            cherrypy.response.headers["Content-Type"] = "application/octet-stream"
            return cherrypy.request.body.read()

    return Root()


def config(port: int, static_dir: str) -> dict[str, dict[str, Any]]:
    return {
        "global": {
            "environment": "production",
            "log.screen": False,
            "server.socket_host": "127.0.0.1",
            "server.socket_port": port,
            "server.thread_pool": THREADS,
        },
        "/": {},
        "/static": {"tools.staticdir.on": True, "tools.staticdir.dir": static_dir},
        "/session": {"tools.sessions.on": True},
        "/gzip": {"tools.gzip.on": True},
    }


def main() -> None:
    import cherrypy

    port = int(sys.argv[1])
    static_dir = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="scenario-static-")
    cherrypy.quickstart(make_root(), "", config(port, static_dir))


if __name__ == "__main__":
    main()
