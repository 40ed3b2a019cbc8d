"""OpenTelemetry tracing for cherrypy-kernel: one SERVER span per request.

Switched on with the global config key ``otel.on = True`` (see ``docs/otel.md``).  Importing
this package imports no OpenTelemetry module; the observer does once tracing is switched on.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
