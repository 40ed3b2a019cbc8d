"""Tutorial 5: page handlers are ordinary classes, so they can share a base class.

``Page`` renders the layout around every page from a ``title`` class attribute; the
subclasses only write their own content. ``header`` and ``footer`` are not exposed, so no
URL reaches them: they are helpers the exposed methods call::

    python -m cherrypy.tutorial.tut05_derived_objects
"""

import os.path

import cherrypy


class Page:
    """The layout shared by every page; subclasses set ``title``."""

    title = "Untitled"

    def header(self) -> str:
        """The start of the HTML document, up to the page heading."""
        return f"""<html>
<head><title>{self.title}</title></head>
<body>
<h1>{self.title}</h1>
"""

    def footer(self) -> str:
        """The end of the HTML document."""
        return """</body>
</html>
"""


class HomePage(Page):
    """``/``: the home page, which owns the second page."""

    title = "Tutorial 5"

    def __init__(self) -> None:
        self.another = AnotherPage()

    @cherrypy.expose
    def index(self) -> str:
        """The home page, wrapped in the inherited header and footer."""
        body = '<p>Both pages here share one layout. See the <a href="./another/">other page</a>.</p>\n'
        return self.header() + body + self.footer()


class AnotherPage(Page):
    """``/another/``: a second page using the same layout."""

    title = "Another page"

    @cherrypy.expose
    def index(self) -> str:
        """The second page."""
        body = '<p>Same header, same footer, different words. <a href="../">Home</a></p>\n'
        return self.header() + body + self.footer()


#: The config file every tutorial starts with (host, port and thread pool).
tutconf = os.path.join(os.path.dirname(__file__), "tutorial.conf")

if __name__ == "__main__":
    cherrypy.quickstart(HomePage(), config=tutconf)
