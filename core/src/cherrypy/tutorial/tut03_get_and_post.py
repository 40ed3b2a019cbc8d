"""Tutorial 3: request parameters become method arguments.

The form on ``/`` sends a ``name`` field to ``/greetUser``. CherryPy passes every
query-string and form field to the page handler as a keyword argument, whether the browser
used GET or POST, so ``greetUser(name=...)`` reads it like any Python argument; a default
value covers the case where the field was not sent at all::

    python -m cherrypy.tutorial.tut03_get_and_post
"""

import html
import os.path

import cherrypy


class WelcomePage:
    """A form on ``/`` and the page that greets whoever filled it in."""

    @cherrypy.expose
    def index(self) -> str:
        """Show a form asking for a name; it is submitted to ``greetUser`` with GET."""
        return """
        <form action="greetUser" method="GET">
            <label>Your name: <input type="text" name="name" /></label>
            <input type="submit" value="Greet me" />
        </form>"""

    @cherrypy.expose
    def greetUser(self, name: str | None = None) -> str:
        """Greet ``name``; an absent field and an empty one get different answers."""
        if name:
            # Anything a visitor typed is escaped before it goes back into HTML.
            return f"Hello {html.escape(name)}, nice to meet you!"
        if name is None:
            return 'Nobody told me your name: fill in the form <a href="./">here</a>.'
        return 'The name was empty; please type one <a href="./">here</a>.'


#: The config file every tutorial starts with (host, port and thread pool).
tutconf = os.path.join(os.path.dirname(__file__), "tutorial.conf")

if __name__ == "__main__":
    cherrypy.quickstart(WelcomePage(), config=tutconf)
