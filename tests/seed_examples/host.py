"""Run the seed's code fragments as a program (this file is not from the seed).

    python host.py FILE [FILE ...]

The seed shows many snippets that are not programs on their own: a config file, a
``cherrypy.quickstart(myapp, ...)`` line that uses an application it never defines, a ``Root``
class with no quickstart.  This host runs them unchanged, in the order given, in one module
namespace that already holds ``cherrypy`` and ``myapp``:

- a ``.py`` FILE is executed as it stands;
- a ``.conf`` FILE becomes the application config of the final quickstart;
- ``myapp`` is the host's small application (``/`` says "Hello World!", ``/protected/area/``
  is the page the authentication snippets protect, ``/count`` shows the session's ``count``).
  If a fragment defines a bare ``index`` function (the session counter does), ``myapp`` uses it
  as its index page; if a fragment defines ``Root``, the final quickstart serves ``Root()``;
- if no fragment called ``cherrypy.quickstart`` itself, the host calls
  ``cherrypy.quickstart(root, '/', conf)`` last, as the reader's own program would.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import cherrypy


class ProtectedArea:
    """The page the seed's authentication snippets protect."""

    @cherrypy.expose
    def index(self) -> str:
        return "Welcome to the protected area, " + str(cherrypy.request.login)


class Protected:
    area = ProtectedArea()


class HostApp:
    """The host's ``myapp``."""

    protected = Protected()

    @cherrypy.expose
    def index(self) -> str:
        # Logged through the named logger of the seed's "Play along with your other logs".
        logging.getLogger("myapp.mypackage").info("index called")
        return "Hello World!"

    @cherrypy.expose
    def count(self) -> str:
        return str(cherrypy.session.get("count"))


def make_app(namespace: dict[str, Any]) -> Any:
    """``myapp``: the host's application, with a fragment's bare ``index`` function if any."""
    index = namespace.get("index")
    if callable(index) and not isinstance(index, type):
        return type("CounterApp", (HostApp,), {"index": index})()
    return HostApp()


def main(files: list[str]) -> None:
    namespace: dict[str, Any] = {"__name__": "__main__", "cherrypy": cherrypy}
    conf: str | None = None
    started = False
    for name in files:
        path = Path(name)
        if path.suffix == ".conf":
            conf = str(path)
            continue
        source = path.read_text()
        namespace["myapp"] = make_app(namespace)
        exec(compile(source, str(path), "exec"), namespace)
        started = started or "quickstart(" in source
    if not started:
        root = namespace["Root"]() if "Root" in namespace else make_app(namespace)
        cherrypy.quickstart(root, "/", conf)


if __name__ == "__main__":
    main(sys.argv[1:])
