"""The pluggy plugin of cherrypy-encoding (entry point ``cherrypy.plugins: encoding``).

It registers ``tools.gzip`` (response compression at ``before_finalize``, priority 80, plus
bounded inflation of compressed request bodies at ``before_request_body``) and
``tools.decode`` (request entity charsets at ``before_request_body``).  ``CHERRYPY_PLUGIN_API``
states the plugin API range it supports.
"""

from __future__ import annotations

from typing import Any

from cherrypy.plugin import KeyDeclarer, PipelineBuilder, Tool, Toolbox, hookimpl

from .charsets import decode
from .compression import gzip
from .inflate import inflate_request_body

__all__ = [
    "CHERRYPY_PLUGIN_API",
    "GzipTool",
    "cherrypy_config_keys",
    "cherrypy_register_tools",
    "decode_tool",
    "gzip_tool",
]

CHERRYPY_PLUGIN_API = ">=1.0,<2"
"""The versions of the plugin API (``cherrypy.plugin``) this plugin works with."""

_REQUEST_OPTIONS = ("inflate", "max_inflated_size", "max_inflate_ratio")


class GzipTool(Tool):
    """``tools.gzip``: compresses responses and, when asked to, inflates request bodies.

    Its options are those of :func:`~cherrypy_encoding.compression.gzip` plus ``inflate``
    (off by default), ``max_inflated_size`` and ``max_inflate_ratio`` of
    :func:`~cherrypy_encoding.inflate.inflate_request_body`.
    """

    def __init__(self) -> None:
        super().__init__("before_finalize", gzip, priority=80)
        self.inflate = None
        self.max_inflated_size = None
        self.max_inflate_ratio = None

    def compile(self, pipeline: PipelineBuilder, settings: dict[str, Any]) -> None:
        """Attach the request-body inflater (``before_request_body``, priority 20) and the
        response compressor (``before_finalize``, priority 80 unless configured)."""
        priority = self.priority_for(settings)
        request_conf = {key: settings.pop(key) for key in _REQUEST_OPTIONS if key in settings}
        pipeline.attach("before_request_body", inflate_request_body, priority=20, **request_conf)
        pipeline.attach("before_finalize", self.callable, priority=priority, **settings)


gzip_tool = GzipTool()
"""The ``cherrypy.tools.gzip`` tool."""

decode_tool = Tool("before_request_body", decode)
"""The ``cherrypy.tools.decode`` tool."""


@hookimpl
def cherrypy_register_tools(toolbox: Toolbox) -> None:
    """Add ``gzip`` and ``decode`` to the default toolbox."""
    toolbox.gzip = gzip_tool
    toolbox.decode = decode_tool


@hookimpl
def cherrypy_config_keys(checker: KeyDeclarer) -> None:
    """Declare ``tools.gzip.*`` and ``tools.decode.*``."""
    from .inflate import DEFAULT_MAX_INFLATE_RATIO, DEFAULT_MAX_INFLATED_SIZE

    checker.declare_tool(
        "gzip",
        gzip_tool,
        {
            "compress_level": "The zlib compression level, 1 (fast) to 9 (small).",
            "mime_types": "Media types compressed ('text/*' style wildcards allowed).",
            "min_size": "Bodies shorter than this many bytes are sent as they are.",
        },
        extra={
            "inflate": (bool, False, "Inflate gzip/deflate request bodies (opt-in)."),
            "max_inflated_size": (
                "int | None",
                DEFAULT_MAX_INFLATED_SIZE,
                "Bytes an inflated request body may reach (413 beyond).",
            ),
            "max_inflate_ratio": (
                "float | None",
                DEFAULT_MAX_INFLATE_RATIO,
                "How many times its compressed size a request body may inflate (413 beyond).",
            ),
        },
        doc="Compress responses (gzip) for clients that accept it.",
    )
    checker.declare_tool(
        "decode",
        decode_tool,
        {
            "encoding": "The charset(s) request bodies must be in (400 otherwise).",
            "default_encoding": "The charset(s) tried when the request names none.",
        },
        doc="Decode request bodies with the charset they declare.",
    )
