"""``cherrypy.lib.encoding``: CherryPy's encoding module, as provided by cherrypy-encoding.

:class:`ResponseEncoder` belongs to the kernel (``tools.encode`` is on by default): as in
CherryPy it is the callable of ``cherrypy.tools.encode``, and this module hands it out under
its CherryPy name on first use.  :func:`prepare_iter` comes from :mod:`cherrypy.plugin`.  Both
are re-exported next to the gzip and charset helpers.
"""

from __future__ import annotations

from typing import Any

import cherrypy
from cherrypy.lib import file_generator, is_closable_iterator, set_vary_header
from cherrypy.plugin import prepare_iter

from .charsets import UTF8StreamEncoder, decode
from .compression import compress, compress_stream, decompress, gzip, mime_type_matches

__all__ = [
    "ResponseEncoder",
    "UTF8StreamEncoder",
    "compress",
    "compress_stream",
    "decode",
    "decompress",
    "file_generator",
    "gzip",
    "is_closable_iterator",
    "mime_type_matches",
    "prepare_iter",
    "set_vary_header",
]

ResponseEncoder: type[Any]
"""``cherrypy.tools.encode``'s callable (declared here; the value comes on first use)."""


def __getattr__(name: str) -> Any:
    """``ResponseEncoder``: the class behind ``cherrypy.tools.encode``, resolved on first use."""
    if name == "ResponseEncoder":
        value = cherrypy.tools.encode.callable
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
