"""The hello-world page ("Hello World!", text/plain) for ``bench/peers.py``, on every stack.

Served by a script: ``python peer_apps.py cherrypy PORT`` runs ``cherrypy.quickstart`` with
whichever ``cherrypy`` the interpreter imports (ours with cherrypy-server, or CherryPy 18.10
with cheroot); ``python peer_apps.py bottle-waitress PORT`` runs Bottle on waitress.

Served by granian (``granian --interface wsgi --factory peer_apps:make_...``): each
``make_*`` function builds one WSGI application: the kernel's ``cherrypy.tree``, Falcon,
Bottle, or a bare WSGI function.  Only the imports of the application asked for are made, so
one module serves the peers' venv and the kernel's.
"""

from __future__ import annotations

import sys

BODY = b"Hello World!"
TEXT = "Hello World!"
THREADS = 8  # worker threads of the threaded servers (cheroot, cherrypy-server, waitress)


def hello(environ, start_response):
    """The bare WSGI application."""
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "12")])
    return [BODY]


def _cherrypy_root():
    import cherrypy

    class Root:
        @cherrypy.expose
        def index(self):
            cherrypy.response.headers["Content-Type"] = "text/plain"
            return TEXT

    return Root()


def make_wsgi():
    return hello


def make_kernel():
    """The kernel's WSGI application: ``cherrypy.tree`` with the page mounted (no engine)."""
    import cherrypy

    cherrypy.config.update({"environment": "production", "log.screen": False})
    cherrypy.tree.mount(_cherrypy_root(), "", {"/": {}})
    return cherrypy.tree


def make_falcon():
    import falcon

    class Hello:
        def on_get(self, req, resp):
            resp.content_type = falcon.MEDIA_TEXT
            resp.text = TEXT

    app = falcon.App()
    app.add_route("/", Hello())
    return app


def make_bottle():
    import bottle

    app = bottle.Bottle()

    @app.route("/")
    def index():
        bottle.response.content_type = "text/plain"
        return TEXT

    return app


def serve_cherrypy(port: int) -> None:
    import cherrypy

    cherrypy.quickstart(
        _cherrypy_root(),
        "",
        {
            "global": {
                "environment": "production",
                "log.screen": False,
                "server.socket_host": "127.0.0.1",
                "server.socket_port": port,
                "server.thread_pool": THREADS,
            },
            "/": {},
        },
    )


def serve_bottle_waitress(port: int) -> None:
    import waitress

    waitress.serve(make_bottle(), host="127.0.0.1", port=port, threads=THREADS, _quiet=True)


if __name__ == "__main__":
    kind, port = sys.argv[1], int(sys.argv[2])
    {"cherrypy": serve_cherrypy, "bottle-waitress": serve_bottle_waitress}[kind](port)
