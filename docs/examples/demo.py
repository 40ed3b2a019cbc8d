"""The README's demo: a small CherryPy application on http://127.0.0.1:8080.

Run it with ``nox -s demo`` (or ``python docs/examples/demo.py`` in an environment where
cherrypy-standard is installed).
"""

import cherrypy


class Demo:
    """A greeting page, a form handler and a JSON-free plain-text endpoint."""

    @cherrypy.expose
    def index(self):
        return (
            "<html><body><h1>Hello from cherrypy-kernel!</h1>"
            '<form method="post" action="greet">'
            '<input name="name" value="world"> <button type="submit">Greet</button>'
            "</form></body></html>"
        )

    @cherrypy.expose
    def greet(self, name="world"):
        cherrypy.response.headers["Content-Type"] = "text/plain"
        return f"Hello, {name}!"


if __name__ == "__main__":
    cherrypy.config.update({"server.socket_host": "127.0.0.1", "server.socket_port": 8080})
    cherrypy.quickstart(Demo(), "/", {"/": {"tools.trailing_slash.on": True}})
