"""``cherrypy.lib.jsontools``: CherryPy's JSON tools module, as provided by cherrypy-json."""

from __future__ import annotations

from .json_in import json_in, json_processor
from .json_out import json_handler, json_out

__all__ = ["json_handler", "json_in", "json_out", "json_processor"]
