"""The ``metrics`` plugin's entry point (``cherrypy.plugins: metrics``).

- the global ``metrics`` config namespace: ``metrics.on = True`` registers the request
  observer and serves the page (:mod:`cherrypy_metrics.site`);
- ``metrics.on = False`` in a path's config leaves that path's requests uncounted: the
  pipeline compiled for such a path (once, not per request) sets ``request.metrics_skip``;
- the declarations of the ``metrics.*`` keys for the config checker and the reference.

Loading the plugin imports neither prometheus-client nor anything else heavy: that happens
when ``metrics.on`` is first set.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from cherrypy.plugin import KeyDeclarer, PipelineBuilder, hookimpl, serving

from .site import DEFAULTS, MetricsNamespace, metrics

__all__ = [
    "CHERRYPY_PLUGIN_API",
    "cherrypy_build_pipeline",
    "cherrypy_config_keys",
    "cherrypy_config_namespaces",
    "skip_request",
]

CHERRYPY_PLUGIN_API = ">=1.3,<2"
"""The range of the plugin API (``cherrypy.plugin``) this distribution supports (1.2 added
the request observers, 1.3 the listening sockets a reload hands over, which ``metrics.port``
uses)."""

_KEY_DOCS = {
    "on": "Count requests and serve the metrics page (global); False in a path's config "
    "leaves that path's requests uncounted.",
    "path": "Where the page is served on the site's own port (global).",
    "port": "Serve the page on this port instead, with the engine (global; None: the site's "
    "own port, 0: any free port).",
    "host": "The address metrics.port binds (global).",
    "duration_buckets": "Upper bounds, in seconds, of the request duration histogram (global).",
    "size_buckets": "Upper bounds, in bytes, of the response size histogram (global).",
}


@hookimpl
def cherrypy_config_namespaces(namespaces: MutableMapping[str, Any], scope: str) -> None:
    """Register the global ``metrics`` namespace handler."""
    if scope == "global":
        namespaces["metrics"] = MetricsNamespace(metrics)


@hookimpl
def cherrypy_config_keys(checker: KeyDeclarer) -> None:
    """Declare ``metrics.*``."""
    checker.declare_namespace(
        "metrics",
        "Prometheus metrics (cherrypy-metrics): request counts, latency, sizes, server gauges.",
        scope="global",
    )
    types = {"port": "int | None", "duration_buckets": "list[float]", "size_buckets": "list[float]"}
    for key, default in DEFAULTS.items():
        checker.declare_key(
            "metrics",
            key,
            types.get(key, type(default)),
            list(default) if isinstance(default, tuple) else default,
            _KEY_DOCS[key],
        )


def skip_request() -> None:
    """Leave this request out of the counts (attached where ``metrics.on`` is False)."""
    serving.request.metrics_skip = True


@hookimpl
def cherrypy_build_pipeline(
    app: Any, path: str, config: dict[str, Any], pipeline: PipelineBuilder
) -> None:
    """On a path whose config says ``metrics.on = False``, mark its requests as not counted."""
    if metrics.enabled and not config.get("metrics.on", True):
        pipeline.attach("on_start_resource", skip_request, priority=0)
