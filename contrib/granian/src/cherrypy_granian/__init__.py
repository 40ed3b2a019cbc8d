"""Serve cherrypy-kernel applications on granian (see ``docs/granian.md``)."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
