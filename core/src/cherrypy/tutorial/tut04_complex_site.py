"""Tutorial 4: a site built from nested objects.

URLs map onto attributes: ``/joke/`` is the ``index`` of ``root.joke``, ``/links/extra/``
the ``index`` of ``root.links.extra``. Any object can hold further handler objects, set up
here at module level or in an ``__init__``. The pages link to each other with relative URLs,
so none of them needs to know where it is mounted::

    python -m cherrypy.tutorial.tut04_complex_site
"""

from __future__ import annotations

import os.path

import cherrypy


class HomePage:
    """``/``: the entry page, linking to the two sections below it."""

    # Attached below, after the classes are defined: ``root.joke`` and ``root.links``.
    joke: JokePage
    links: LinksPage

    @cherrypy.expose
    def index(self) -> str:
        """List the sections of the site."""
        return """
        <p>Welcome! This small site has two sections:</p>
        <ul>
            <li><a href="/joke/">a programming joke</a></li>
            <li><a href="/links/">links worth following</a></li>
        </ul>"""


class JokePage:
    """``/joke/``: a page with a link back up."""

    @cherrypy.expose
    def index(self) -> str:
        """Tell the joke."""
        return """
        <p>There are only 10 kinds of people: those who read binary and those who don't.</p>
        <p><a href="../">Back home</a></p>"""


class LinksPage:
    """``/links/``: a section that creates its own sub-page in ``__init__``."""

    def __init__(self) -> None:
        # A handler object may build the part of the tree below it itself.
        self.extra = ExtraLinksPage()

    @cherrypy.expose
    def index(self) -> str:
        """List a few links, and one relative link down to ``extra/``."""
        return """
        <p>Links worth following:</p>
        <ul>
            <li><a href="https://docs.python.org/3/">Python's documentation</a></li>
            <li><a href="https://pypi.org/">The Python Package Index</a></li>
        </ul>
        <p>More in the <a href="./extra/">extra links</a>.</p>
        <p><a href="../">Back home</a></p>"""


class ExtraLinksPage:
    """``/links/extra/``: two levels down, linking back to its parent with ``../``."""

    @cherrypy.expose
    def index(self) -> str:
        """List the extra links."""
        return """
        <p>Extra links:</p>
        <ul>
            <li><a href="https://peps.python.org/pep-3333/">PEP 3333, the WSGI spec</a></li>
            <li><a href="https://www.rfc-editor.org/rfc/rfc9110">RFC 9110, HTTP semantics</a></li>
        </ul>
        <p><a href="../">Back to the links</a></p>"""


#: The root of the site, with its sections attached as attributes.
root = HomePage()
root.joke = JokePage()
root.links = LinksPage()  # brings root.links.extra along

#: The config file every tutorial starts with (host, port and thread pool).
tutconf = os.path.join(os.path.dirname(__file__), "tutorial.conf")

if __name__ == "__main__":
    cherrypy.quickstart(root, config=tutconf)
