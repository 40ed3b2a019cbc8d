"""Tutorial 8: producing the response body with ``yield``.

A page handler may be a generator: CherryPy sends each piece it yields, in order. That
keeps small pages readable without a template engine, and long ones need not be built in
memory first::

    python -m cherrypy.tutorial.tut08_generators_and_yield
"""

import html
import os.path
from collections.abc import Iterator

import cherrypy


class GeneratorDemo:
    """A page written piece by piece."""

    #: The names listed on the page.
    users = ["Ada", "Grace", "Linus", "Guido"]

    def header(self) -> str:
        """The opening of the page."""
        return "<html><body><h1>Built with yield</h1>"

    def footer(self) -> str:
        """The closing of the page."""
        return "</body></html>"

    @cherrypy.expose
    def index(self) -> Iterator[str]:
        """Yield the header, one line per user, then the footer."""
        yield self.header()
        yield "<h2>Users</h2>"
        for user in self.users:
            yield f"{html.escape(user)}<br/>"
        yield self.footer()


#: The config file every tutorial starts with (host, port and thread pool).
tutconf = os.path.join(os.path.dirname(__file__), "tutorial.conf")

if __name__ == "__main__":
    cherrypy.quickstart(GeneratorDemo(), config=tutconf)
