"""The hello-world app served over HTTP for ``bench/http_server.py``.

``python http_app.py cherrypy PORT`` serves it with whichever ``cherrypy`` the interpreter
imports (ours with cherrypy-server, or CherryPy 18.10 with cheroot); ``python http_app.py
bottle-waitress PORT`` serves the same page with Bottle on waitress.
"""

from __future__ import annotations

import os
import sys


def serve_cherrypy(port: int) -> None:
    import cherrypy

    class Root:
        @cherrypy.expose
        def index(self):
            return "Hello World!"

    cherrypy.config.update(
        {
            "environment": "production",
            "log.screen": False,
            "server.socket_host": "127.0.0.1",
            "server.socket_port": port,
            "server.thread_pool": 8,
        }
    )
    big = os.environ.get("BENCH_BIG_FILE")
    conf = {"/": {}}
    if big:
        conf["/big.bin"] = {"tools.staticfile.on": True, "tools.staticfile.filename": big}
    cherrypy.tree.mount(Root(), "", conf)
    cherrypy.engine.start()
    cherrypy.engine.block()


def serve_bottle_waitress(port: int) -> None:
    import bottle
    import waitress

    app = bottle.Bottle()

    @app.route("/")
    def index():
        return "Hello World!"

    waitress.serve(app, host="127.0.0.1", port=port, threads=8, _quiet=True)


if __name__ == "__main__":
    kind, port = sys.argv[1], int(sys.argv[2])
    if kind == "cherrypy":
        serve_cherrypy(port)
    else:
        serve_bottle_waitress(port)
