"""cherrypy-json: JSON request and response bodies for cherrypy-kernel.

``tools.json_in`` parses JSON request entities into ``cherrypy.request.json``;
``tools.json_out`` serializes what a page handler returns.  Both use one codec (ujson writing
and the standard library reading, by default), chosen through the ``cherrypy_json_codec`` hook::

    import cherrypy

    class Root:
        @cherrypy.expose
        @cherrypy.tools.json_in()
        @cherrypy.tools.json_out()
        def echo(self):
            return cherrypy.request.json
"""

from __future__ import annotations

__version__ = "0.1.0"

from .codec import dumps, get_codec, loads, reset_codec, stdlib_codec, ujson_codec
from .json_in import json_in, json_processor, parse_document
from .json_out import json_handler, json_out

__all__ = [
    "__version__",
    "dumps",
    "get_codec",
    "json_handler",
    "json_in",
    "json_out",
    "json_processor",
    "loads",
    "parse_document",
    "reset_codec",
    "stdlib_codec",
    "ujson_codec",
]
