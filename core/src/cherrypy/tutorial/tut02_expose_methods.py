"""Tutorial 2: several URLs, one method each.

Every exposed method of the root object is a page: ``index`` answers ``/`` and
``show_msg`` answers ``/show_msg``. The first page links to the second with a relative URL::

    python -m cherrypy.tutorial.tut02_expose_methods
"""

import os.path

import cherrypy


class HelloWorld:
    """A root object with two pages."""

    @cherrypy.expose
    def index(self) -> str:
        """The front page: a link to ``show_msg``."""
        return 'There is <a href="show_msg">a message</a> waiting for you.'

    @cherrypy.expose
    def show_msg(self) -> str:
        """The page behind the link; the method name is the last part of its URL."""
        return "Hello world!"


#: The config file every tutorial starts with (host, port and thread pool).
tutconf = os.path.join(os.path.dirname(__file__), "tutorial.conf")

if __name__ == "__main__":
    cherrypy.quickstart(HelloWorld(), config=tutconf)
