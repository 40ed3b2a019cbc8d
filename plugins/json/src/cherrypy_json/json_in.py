"""``tools.json_in``: parse JSON request entities into ``cherrypy.request.json``.

:func:`json_in` runs at ``before_request_body`` (priority 30) and registers
:func:`json_processor` for the accepted media types.  Every way a body can be wrong gives a
4xx answer and never reaches the page handler:

* a media type that is not accepted, with ``force`` (the default): ``415``;
* a body larger than ``max_bytes`` (declared or actually sent): ``413``;
* bytes that are not UTF-8 JSON, or nesting deeper than ``max_depth``: ``400``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cherrypy.plugin import HTTPError, serving

from .codec import get_codec

__all__ = [
    "DEFAULT_CONTENT_TYPES",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "json_in",
    "json_processor",
    "parse_document",
]

DEFAULT_CONTENT_TYPES: tuple[str, ...] = ("application/json", "text/javascript")
"""The media types ``tools.json_in`` accepts unless ``content_type`` is configured."""

DEFAULT_MAX_BYTES = 16 * 1024 * 1024
"""The largest JSON body ``tools.json_in`` reads (16 MiB) unless ``max_bytes`` is configured."""

DEFAULT_MAX_DEPTH = 100
"""The deepest nesting of arrays and objects accepted unless ``max_depth`` is configured."""

INVALID_MESSAGE = "Invalid JSON document"
"""The message of the 400 answer to a body that is not JSON (CherryPy's wording)."""


def _too_deep(data: bytes, value: Any, limit: int) -> bool:
    """True if arrays/objects nest more than ``limit`` levels in ``value`` (parsed ``data``).

    The number of opening brackets in ``data`` bounds the depth from above, so the parsed
    value is walked (without recursion) only when there are more brackets than ``limit``.
    """
    if data.count(b"[") + data.count(b"{") <= limit or not isinstance(value, (dict, list)):
        return False
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return False


def parse_document(data: bytes, max_depth: int | None = DEFAULT_MAX_DEPTH) -> Any:
    """Parse UTF-8 JSON ``data`` with the codec in use; ``HTTPError(400)`` if it is not valid.

    Documents nested deeper than ``max_depth`` are refused with 400 too.
    """
    try:
        value = get_codec()[1](data)
    except Exception:  # any parser failure (ValueError, RecursionError, ...) is the client's
        raise HTTPError(400, INVALID_MESSAGE) from None
    if max_depth is not None and _too_deep(data, value, max_depth):
        raise HTTPError(400, f"{INVALID_MESSAGE}: nested deeper than {max_depth} levels")
    return value


def json_processor(entity: Any) -> None:
    """Read a JSON entity into ``request.json`` (the default ``processor`` of json_in).

    Limits come from the entity's ``json_limits`` attribute, ``(max_bytes, max_depth)``,
    which :func:`json_in` sets; either may be None for no limit.
    """
    max_bytes, max_depth = getattr(entity, "json_limits", (DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH))
    if max_bytes is not None:
        if entity.length is not None and entity.length > max_bytes:
            raise HTTPError(413, f"The JSON document is larger than {max_bytes} bytes.")
        data = entity.read(max_bytes + 1) or b""
        if len(data) > max_bytes:
            raise HTTPError(413, f"The JSON document is larger than {max_bytes} bytes.")
    else:
        data = entity.read() or b""
    serving.request.json = parse_document(data, max_depth)


def _unsupported(content_types: Sequence[str]) -> Callable[[], None]:
    message = "Expected an entity of content type " + ", ".join(content_types)

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise HTTPError(415, message)

    return refuse


def json_in(
    content_type: str | Sequence[str] = DEFAULT_CONTENT_TYPES,
    force: bool = True,
    debug: bool = False,
    processor: Callable[[Any], Any] = json_processor,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    max_depth: int | None = DEFAULT_MAX_DEPTH,
) -> None:
    """Parse request entities of ``content_type`` as JSON into ``request.json``.

    ``content_type`` is a media type or a list of them.  With ``force`` other media types
    are refused (415); without it they are processed as usual.  ``processor(entity)`` does
    the parsing; the default one enforces ``max_bytes`` (413) and ``max_depth`` (400).
    """
    body = serving.request.body
    if isinstance(content_type, (str, bytes)):
        content_type = [
            content_type.decode("ascii") if isinstance(content_type, bytes) else content_type
        ]
    body.json_limits = (max_bytes, max_depth)
    if force:
        if debug:
            _log(f"Removing body processors {list(body.processors)!r}")
        body.processors.clear()
        body.default_proc = _unsupported(content_type)
    for media_type in content_type:
        if debug:
            _log(f"Adding body processor for {media_type}")
        body.processors[media_type] = processor


def _log(message: str) -> None:
    import cherrypy

    cherrypy.log(message, "TOOLS.JSON_IN")
