"""Tutorial 1: the smallest CherryPy application.

One class, one exposed method. ``index`` answers the site root, so once this runs,
http://127.0.0.1:8080/ shows the string it returns::

    python -m cherrypy.tutorial.tut01_helloworld
"""

import os.path

import cherrypy


class HelloWorld:
    """The root of the site: its ``index`` method answers ``/``."""

    @cherrypy.expose
    def index(self) -> str:
        """Answer ``/``; only methods marked with ``@cherrypy.expose`` are reachable by URL."""
        return "Hello world!"


#: The config file every tutorial starts with (host, port and thread pool).
tutconf = os.path.join(os.path.dirname(__file__), "tutorial.conf")

if __name__ == "__main__":
    # Mount HelloWorld() at the site root, start the HTTP server and wait for Ctrl-C.
    cherrypy.quickstart(HelloWorld(), config=tutconf)
