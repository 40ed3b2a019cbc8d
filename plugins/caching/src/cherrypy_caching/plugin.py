"""The pluggy plugin of cherrypy-caching (entry point ``cherrypy.plugins: caching``).

Registers ``tools.caching`` (before_handler, priority 90; stores at before_finalize,
priority 100), ``tools.expires`` (before_finalize) and ``tools.etags`` (before_finalize,
priority 75), at CherryPy's hook points and priorities.  ``CHERRYPY_PLUGIN_API`` states the
plugin API range it supports.
"""

from __future__ import annotations

from typing import Any

from cherrypy.plugin import KeyDeclarer, PipelineBuilder, Tool, Toolbox, hookimpl, serving

from . import caching
from .conditional import validate_etags
from .expires import expires

__all__ = [
    "CHERRYPY_PLUGIN_API",
    "CachingTool",
    "caching_tool",
    "cherrypy_config_keys",
    "cherrypy_register_tools",
    "etags_tool",
    "expires_tool",
]

CHERRYPY_PLUGIN_API = ">=1.0,<2"
"""The versions of the plugin API (``cherrypy.plugin``) this plugin works with."""


class CachingTool(Tool):
    """``tools.caching``: answer from the cache, or store the response on its way out."""

    def _wrapper(self, **kwargs: Any) -> None:
        request = serving.request
        if caching.get(**kwargs):
            request.handler = None
            return
        hooks = request.hooks
        if request.cacheable:
            hooks.attach("before_finalize", caching.tee_output, priority=100)
        if getattr(request, "caching_reservation", None) is not None:
            hooks.attach("on_end_request", caching.release_reservation)

    _wrapper.priority = 90  # type: ignore[attr-defined]

    def compile(self, pipeline: PipelineBuilder, settings: dict[str, Any]) -> None:
        """Attach the cache lookup at ``before_handler`` (priority 90 unless configured)."""
        priority = settings.pop("priority", None)
        pipeline.attach("before_handler", self._wrapper, priority=priority, **settings)


caching_tool = CachingTool("before_handler", caching.get, "caching")
"""The ``cherrypy.tools.caching`` tool."""

expires_tool = Tool("before_finalize", expires)
"""The ``cherrypy.tools.expires`` tool."""

etags_tool = Tool("before_finalize", validate_etags, priority=75)
"""The ``cherrypy.tools.etags`` tool."""


@hookimpl
def cherrypy_register_tools(toolbox: Toolbox) -> None:
    """Add ``caching``, ``expires`` and ``etags`` to the default toolbox."""
    toolbox.caching = caching_tool
    toolbox.expires = expires_tool
    toolbox.etags = etags_tool


@hookimpl
def cherrypy_config_keys(checker: KeyDeclarer) -> None:
    """Declare ``tools.caching.*``, ``tools.expires.*`` and ``tools.etags.*``."""
    from .memory import MemoryCache

    checker.declare_tool(
        "caching",
        caching_tool,
        {"invalid_methods": "Methods that are never cached and invalidate the URI's entry."},
        extra={"cache_class": (type, MemoryCache, "The cache class, created on first use.")},
        doc="Cache responses in memory (keys beyond these set attributes of the cache).",
    )
    checker.declare_attributes(
        "tools.caching",
        MemoryCache,
        (
            "maxobjects",
            "maxobj_size",
            "maxsize",
            "delay",
            "antistampede_timeout",
            "expire_freq",
            "private_headers",
        ),
    )
    checker.declare_tool(
        "expires",
        expires_tool,
        {
            "secs": "Seconds (or a timedelta) until the response expires.",
            "force": "Set the headers even if the response already has cache headers.",
        },
        doc="Set Expires and Cache-Control headers.",
    )
    checker.declare_tool(
        "etags",
        etags_tool,
        {"autotags": "Compute an ETag from the body when the handler set none."},
        doc="Validate If-Match / If-None-Match against the ETag.",
    )
