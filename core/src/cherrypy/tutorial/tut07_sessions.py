"""Tutorial 7: remembering each visitor with ``cherrypy.session``.

With ``tools.sessions.on`` (set here for the whole class through ``_cp_config``),
``cherrypy.session`` is a dict-like object private to the visitor, found again on each
request through a cookie. Sessions live in memory by default; the file and database
back ends store only values that can be pickled::

    python -m cherrypy.tutorial.tut07_sessions
"""

import os.path

import cherrypy


class HitCounter:
    """Counts how many times each visitor has loaded the page."""

    _cp_config = {"tools.sessions.on": True}

    @cherrypy.expose
    def index(self) -> str:
        """Add one to this visitor's count and report it."""
        count = cherrypy.session.get("count", 0) + 1
        cherrypy.session["count"] = count
        return f"You have loaded this page {count} time(s) in this session."


#: The config file every tutorial starts with (host, port and thread pool).
tutconf = os.path.join(os.path.dirname(__file__), "tutorial.conf")

if __name__ == "__main__":
    cherrypy.quickstart(HitCounter(), config=tutconf)
