"""URL flood against tools.caching: what the store keeps (ours vs CherryPy 18.10).

    .venv/bin/python bench/caching_flood.py [N]
    /tmp/cherrypy-suite/ref/bin/python bench/caching_flood.py [N]     (CherryPy 18.10)

Serves a page with ``tools.caching.on`` (maxobjects=100, delay=1, expire_freq=0.1), sends
N requests for distinct URLs (half of them also with a distinct ``X-Token`` on a page that
says ``Vary: X-Token``) over one keep-alive connection, then waits 3 seconds for expiry and
reports the store's URI entries, expiry records and the process RSS growth.
"""

from __future__ import annotations

import http.client
import importlib.util
import os
import socket
import sys
import time

import cherrypy


def rss_kib() -> int:
    with open(f"/proc/{os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Root:
    @cherrypy.expose
    def page(self, n: str = "") -> str:
        return "x" * 200

    @cherrypy.expose
    def varying(self) -> str:
        cherrypy.response.headers["Vary"] = "X-Token"
        return "y" * 200


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def expiry_records(cache: object) -> int:
    expirations = getattr(cache, "expirations", {})
    if isinstance(expirations, dict):  # CherryPy: time -> list of records
        return sum(len(records) for records in expirations.values())
    return len(expirations)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    port = free_port()
    cherrypy.config.update(
        {
            "server.socket_port": port,
            "server.thread_pool": 4,
            "log.screen": False,
            "environment": "production",
        }
    )
    conf = {
        "/": {
            "tools.caching.on": True,
            "tools.caching.maxobjects": 100,
            "tools.caching.delay": 1,
            "tools.caching.expire_freq": 0.1,
        }
    }
    cherrypy.tree.mount(Root(), "", conf)
    cherrypy.engine.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port)
        connection.request("GET", "/page?n=warmup")
        connection.getresponse().read()
        before = rss_kib()
        began = time.perf_counter()
        for i in range(n):
            if i % 2:
                connection.request("GET", "/varying", headers={"X-Token": f"t{i}"})
            else:
                connection.request("GET", f"/page?n={i}")
            connection.getresponse().read()
        elapsed = time.perf_counter() - began
        cache = cherrypy._cache  # type: ignore[attr-defined]
        after_flood = (len(cache.store), expiry_records(cache), rss_kib() - before)
        time.sleep(3)
        after_expiry = (len(cache.store), expiry_records(cache), rss_kib() - before)
    finally:
        cherrypy.engine.exit()
    # Only this workspace has the plugin API (cherrypy.plugin).
    has_plugin_api = importlib.util.find_spec("cherrypy.plugin") is not None
    name = "this workspace" if has_plugin_api else f"CherryPy {cherrypy.__version__}"
    print(f"{name}: {n} requests in {elapsed:.1f} s")
    print(
        f"  after flood : {after_flood[0]} URI entries, {after_flood[1]} expiry records, "
        f"RSS +{after_flood[2]} KiB"
    )
    print(
        f"  after expiry: {after_expiry[0]} URI entries, {after_expiry[1]} expiry records, "
        f"RSS +{after_expiry[2]} KiB"
    )


if __name__ == "__main__":
    main()
