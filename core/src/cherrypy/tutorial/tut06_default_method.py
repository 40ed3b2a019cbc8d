"""Tutorial 6: ``default`` answers the URLs no other method matches.

When the path goes further than the object tree, CherryPy calls the ``default`` method of
the deepest object it reached and passes the remaining path segments as positional
arguments. Here ``/alice`` has no ``alice`` method, so it becomes ``default("alice")``: an
easy way to serve URLs like ``/<username>`` from data instead of from code::

    python -m cherrypy.tutorial.tut06_default_method
"""

import html
import os.path

import cherrypy

#: The people this site knows about, by the name used in their URL.
USERS = {
    "alice": "Alice, who keeps the servers running",
    "bob": "Bob, who writes the documentation",
    "carol": "Carol, who reviews every change",
}


class UsersPage:
    """``/`` lists the users; ``/<name>`` shows one of them through ``default``."""

    @cherrypy.expose
    def index(self) -> str:
        """Link to each known user."""
        items = "".join(f'<li><a href="./{name}">{name}</a></li>' for name in USERS)
        return f"<ul>{items}</ul>"

    @cherrypy.expose
    def default(self, user: str) -> str:
        """Describe ``user``, the path segment that matched no method."""
        about = USERS.get(user, f"Nobody called {html.escape(user)} lives here.")
        return f'{about} (<a href="./">all users</a>)'


#: The config file every tutorial starts with (host, port and thread pool).
tutconf = os.path.join(os.path.dirname(__file__), "tutorial.conf")

if __name__ == "__main__":
    cherrypy.quickstart(UsersPage(), config=tutconf)
