"""The ``health`` plugin's entry point (``cherrypy.plugins: health``).

- the global ``health`` config namespace: ``health.on = True`` grafts the liveness and
  readiness probes on the site (:mod:`cherrypy_health.site`);
- the declarations of the ``health.*`` keys for the config checker and the reference.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from cherrypy.plugin import KeyDeclarer, hookimpl

from .site import DEFAULTS, HealthNamespace, health

__all__ = ["CHERRYPY_PLUGIN_API", "cherrypy_config_keys", "cherrypy_config_namespaces"]

CHERRYPY_PLUGIN_API = ">=1.3,<2"
"""The range of the plugin API (``cherrypy.plugin``) this distribution supports."""

_KEY_DOCS = {
    "on": "Serve the liveness and readiness probes on the site's own port (global).",
    "live_path": "Where the liveness probe answers: 200 whenever the process answers (global).",
    "ready_path": "Where the readiness probe answers: 200 only while the engine is STARTED, "
    "no HTTP server drains and every check passes, else 503 (global).",
    "checks": "Callables, or 'package.module:function' names, run by every readiness probe; "
    "one returning falsy or raising makes it 503, naming the check (global).",
}

_KEY_TYPES = {"checks": "list[Callable[[], object] | str]"}


@hookimpl
def cherrypy_config_namespaces(namespaces: MutableMapping[str, Any], scope: str) -> None:
    """Register the global ``health`` namespace handler."""
    if scope == "global":
        namespaces["health"] = HealthNamespace(health)


@hookimpl
def cherrypy_config_keys(checker: KeyDeclarer) -> None:
    """Declare ``health.*``."""
    checker.declare_namespace(
        "health",
        "Liveness and readiness probes (cherrypy-health) following the engine's state.",
        scope="global",
    )
    for key, default in DEFAULTS.items():
        checker.declare_key(
            "health",
            key,
            _KEY_TYPES.get(key, type(default)),
            list(default) if isinstance(default, tuple) else default,
            _KEY_DOCS[key],
        )
