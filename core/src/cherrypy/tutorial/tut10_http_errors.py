"""Tutorial 10: HTTP errors.

Raise ``cherrypy.HTTPError(status, message=None)`` to answer with an error status; the
``message`` appears on the error page. ``cherrypy.HTTPRedirect(url)`` sends the client
elsewhere. Error pages can come from a template file per status (``error_page.<code>``
config, as for 403 below), and ``request.show_tracebacks`` decides whether they show the
Python traceback of unexpected errors::

    python -m cherrypy.tutorial.tut10_http_errors
"""

import os
import os.path

import cherrypy

#: The folder holding this module.
localDir = os.path.dirname(__file__)
#: The same folder as a normalized absolute path, where ``custom_error.html`` lives.
curpath = os.path.normpath(os.path.join(os.getcwd(), localDir))


class HTTPErrorDemo:
    """Links that each end in a different error, and the handlers raising them."""

    # 403 responses use our own template instead of the built-in error page.
    _cp_config = {"error_page.403": os.path.join(curpath, "custom_error.html")}

    @cherrypy.expose
    def index(self) -> str:
        """List the errors this demo can produce."""
        switch_to = "off" if cherrypy.request.show_tracebacks else "on"
        return f"""
        <html><body>
            <p>Tracebacks on error pages: <a href="toggleTracebacks">turn {switch_to}</a></p>
            <p><a href="/doesNotExist">A link to nowhere (404)</a></p>
            <p><a href="/error?code=403">403, shown with a custom page from a file</a></p>
            <p>Errors raised by the handler itself:</p>
            <ul>
                <li><a href="/error?code=400">400</a></li>
                <li><a href="/error?code=401">401</a></li>
                <li><a href="/error?code=402">402</a></li>
                <li><a href="/error?code=500">500</a></li>
            </ul>
            <p><a href="/messageArg">An error with a message of its own</a></p>
        </body></html>
        """

    @cherrypy.expose
    def toggleTracebacks(self) -> None:
        """Flip ``request.show_tracebacks`` site-wide, then go back to the index."""
        showing = cherrypy.request.show_tracebacks
        cherrypy.config.update({"request.show_tracebacks": not showing})
        raise cherrypy.HTTPRedirect("/")

    @cherrypy.expose
    def error(self, code: str) -> None:
        """Fail with the status given in the query string, e.g. ``/error?code=401``."""
        raise cherrypy.HTTPError(status=code)

    @cherrypy.expose
    def messageArg(self) -> None:
        """Fail with status 500 and a message of our own on the error page."""
        raise cherrypy.HTTPError(
            500, message="This sentence was given to HTTPError as its message argument."
        )


#: The config file every tutorial starts with (host, port and thread pool).
tutconf = os.path.join(os.path.dirname(__file__), "tutorial.conf")

if __name__ == "__main__":
    cherrypy.quickstart(HTTPErrorDemo(), config=tutconf)
