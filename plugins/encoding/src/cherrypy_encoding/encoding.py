"""``cherrypy.lib.encoding``: CherryPy's encoding module, as provided by cherrypy-encoding.

:class:`ResponseEncoder` and :func:`prepare_iter` live in the kernel (``tools.encode`` is on
by default); this module re-exports them next to the gzip and charset helpers.
"""

from __future__ import annotations

from cherrypy.kernel.builtin_tools import ResponseEncoder
from cherrypy.kernel.response import prepare_iter
from cherrypy.lib import file_generator, is_closable_iterator, set_vary_header

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
