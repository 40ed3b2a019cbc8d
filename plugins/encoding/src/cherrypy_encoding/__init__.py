"""cherrypy-encoding: content codings for cherrypy-kernel.

``tools.gzip`` compresses responses (and inflates compressed request bodies, with a bound),
``tools.decode`` chooses the charsets of request entities, and ``cherrypy.lib.encoding``
(:mod:`cherrypy_encoding.encoding`) offers CherryPy's helpers::

    import cherrypy

    class Root:
        @cherrypy.expose
        @cherrypy.tools.gzip(mime_types=["text/*", "application/json"])
        def index(self):
            return "hello world!" * 100
"""

from __future__ import annotations

__version__ = "0.1.0"

from .charsets import UTF8StreamEncoder, decode
from .compression import compress, compress_stream, decompress, gzip, mime_type_matches, negotiate
from .inflate import InflatingReader, inflate_request_body

__all__ = [
    "InflatingReader",
    "UTF8StreamEncoder",
    "__version__",
    "compress",
    "compress_stream",
    "decode",
    "decompress",
    "gzip",
    "inflate_request_body",
    "mime_type_matches",
    "negotiate",
]
