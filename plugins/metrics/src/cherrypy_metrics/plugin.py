"""The ``metrics`` plugin's entry point."""

from __future__ import annotations

CHERRYPY_PLUGIN_API = ">=1.1,<2"
