"""Test helpers for applications and plugins (public: ``cherrypy.testing``).

- :class:`Client` sends requests through the whole kernel pipeline in process, no socket
  bound (:mod:`cherrypy.testing.client`); :class:`Response` is what it returns, with
  :class:`Headers`; :class:`DigestAuth` and :class:`BasicAuth` are its authentication helpers.
- :func:`serve` runs a WSGI application on a real socket on an ephemeral port;
  :func:`reset` puts the global state back between tests (:mod:`cherrypy.testing.serving`).
- :class:`RecordingPipeline` stands in for the pipeline in a tool's unit tests.
- :func:`engine_without_server` runs ``cherrypy.engine`` without its HTTP server.
- The pytest plugin, in the cherrypy-pytest distribution (``cherrypy_pytest.plugin``,
  registered through the ``pytest11`` entry point), provides the ``cherrypy_client`` and
  ``cherrypy_live_server`` fixtures on top of these.

The client's modules load on first use of their names, so that importing this package costs
little.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .recording import RecordingPipeline
from .serving import reset, serve

if TYPE_CHECKING:
    from .auth import BasicAuth, DigestAuth
    from .client import Client
    from .engine import engine_without_server
    from .wire import Headers, Response

__all__ = [
    "BasicAuth",
    "Client",
    "DigestAuth",
    "Headers",
    "RecordingPipeline",
    "Response",
    "engine_without_server",
    "reset",
    "serve",
]

_LAZY = {
    "BasicAuth": "auth",
    "DigestAuth": "auth",
    "Client": "client",
    "engine_without_server": "engine",
    "Headers": "wire",
    "Response": "wire",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cherrypy.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
