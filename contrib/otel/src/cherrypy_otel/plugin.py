"""The ``otel`` plugin's entry point: the ``otel`` config namespace and its keys.

The kernel loads this module with every plugin, so it imports nothing of OpenTelemetry: the
namespace handler does, the first time ``otel.on`` is set.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from cherrypy.plugin import KeyDeclarer, hookimpl

from .switch import DEFAULTS, KEY_DOCS, switch

__all__ = [
    "CHERRYPY_PLUGIN_API",
    "cherrypy_config_keys",
    "cherrypy_config_namespaces",
]

CHERRYPY_PLUGIN_API = ">=1.2,<2"
"""The versions of the plugin API (``cherrypy.plugin``) this plugin works with (1.2 added the
request observers)."""

_TYPES: dict[str, Any] = {
    "on": bool,
    "tracer_provider": "opentelemetry.trace.TracerProvider | None",
    "propagator": "opentelemetry.propagators.textmap.TextMapPropagator | None",
    "url_query": bool,
    "child_spans": bool,
}


@hookimpl
def cherrypy_config_namespaces(namespaces: MutableMapping[str, Any], scope: str) -> None:
    """Register the global ``otel`` namespace."""
    if scope == "global":
        namespaces["otel"] = switch.namespace_handler


@hookimpl
def cherrypy_config_keys(checker: KeyDeclarer) -> None:
    """Declare the ``otel`` namespace and its keys."""
    checker.declare_namespace("otel", "OpenTelemetry tracing (cherrypy-otel).", scope="global")
    for key, default in DEFAULTS.items():
        checker.declare_key("otel", key, _TYPES[key], default, KEY_DOCS[key])
