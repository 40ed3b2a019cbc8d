"""cherrypy-static: static files for cherrypy-kernel.

``tools.staticdir`` and ``tools.staticfile`` (registered by :mod:`.plugin`) and the functions
of ``cherrypy.lib.static`` (:mod:`.serving`): :func:`serve_file`, :func:`serve_fileobj` and
:func:`serve_download`.  Importing this package registers nothing; the kernel loads the
plugin through its entry point.
"""

from __future__ import annotations

from .disposition import content_disposition
from .mediatypes import WEB_TYPES, guess_type
from .serving import serve_download, serve_file, serve_fileobj, staticdir, staticfile

__all__ = [
    "WEB_TYPES",
    "__version__",
    "content_disposition",
    "guess_type",
    "serve_download",
    "serve_file",
    "serve_fileobj",
    "staticdir",
    "staticfile",
]

__version__ = "0.1.0"
