"""Files left on disk by file sessions, and the cost of a request, with and without a cookie.

Run it with this repository's interpreter and with CherryPy 18.10's to compare::

    .venv/bin/python bench/session_litter.py
    /path/to/cherrypy-18.10/bin/python bench/session_litter.py

It serves a page that never reads its session (``tools.sessions`` on, file backend), sends
REQUESTS cookieless requests and as many with one session cookie, and prints how many files
the storage directory holds afterwards and the mean time per request (this repository
``fsync``-s each session write and its directory by default, ``tools.sessions.fsync``;
CherryPy 18.10 does not).  CherryPy 18.10 leaves
one ``.lock`` file per cookieless request (issue 20); this repository leaves none.
"""

from __future__ import annotations

import http.client
import os
import sys
import tempfile
import time

import cherrypy

REQUESTS = 500


class Root:
    @cherrypy.expose
    def index(self) -> str:
        return "x"

    @cherrypy.expose
    def touch(self) -> str:
        cherrypy.session["n"] = cherrypy.session.get("n", 0) + 1
        return str(cherrypy.session["n"])


def _run(
    port: int, path: str, cookie: str | None, count: int = REQUESTS
) -> tuple[float, str | None]:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Cookie": f"session_id={cookie}"} if cookie else {}
    started = time.perf_counter()
    for _ in range(count):
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
    elapsed = (time.perf_counter() - started) / count
    set_cookie = response.getheader("Set-Cookie") or ""
    conn.close()
    return elapsed, set_cookie.split(";")[0].partition("=")[2] or None


def main() -> None:
    storage = tempfile.mkdtemp(prefix="session-litter-")
    cherrypy.config.update(
        {"server.socket_port": 0, "log.screen": False, "engine.autoreload.on": False}
    )
    conf = {
        "tools.sessions.on": True,
        "tools.sessions.storage_type": "file",
        "tools.sessions.storage_path": storage,
    }
    cherrypy.tree.mount(Root(), "/", {"/": conf})
    cherrypy.engine.start()
    try:
        port = cherrypy.server.bound_addr[1]
        cookieless, _ = _run(port, "/", None)
        after_cookieless = len(os.listdir(storage))
        _, sid = _run(port, "/touch", None, 1)
        with_cookie, _ = _run(port, "/touch", sid)
        names = os.listdir(storage)
        locks = sum(name.endswith(".lock") for name in names)
    finally:
        cherrypy.engine.exit()
    print(f"python {sys.version.split()[0]}, cherrypy {cherrypy.__version__} ({cherrypy.__file__})")
    print(
        f"{REQUESTS} cookieless requests: {after_cookieless} files left, "
        f"{cookieless * 1e3:.2f} ms/request"
    )
    print(
        f"{REQUESTS} requests on one session: {with_cookie * 1e3:.2f} ms/request; "
        f"directory now holds {len(names)} files ({locks} .lock)"
    )


if __name__ == "__main__":
    main()
