"""``tools.json_in``: parse JSON request entities into ``cherrypy.request.json``.

:func:`json_in` runs at ``before_request_body`` (priority 30) and registers
:func:`json_processor` for the accepted media types.  Every way a body can be wrong gives a
4xx answer and never reaches the page handler:

* a media type that is not accepted, with ``force`` (the default): ``415``;
* a body larger than ``max_bytes`` (declared or actually sent): ``413``;
* bytes that are not UTF-8 JSON, or nesting deeper than ``max_depth``: ``400``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from itertools import accumulate, repeat
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


# Bytes outside the brackets are deleted and ``{}`` become ``[]``: only the nesting is left.
_TO_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _too_deep(data: bytes, limit: int) -> bool:
    """True if arrays and objects nest more than ``limit`` levels deep in JSON ``data``.

    Runs on the raw bytes before they are parsed, in time linear in ``len(data)`` with a
    small constant (every step is a C-level bytes operation, or a C-level loop over at most
    one element per eight bytes), so a deep document is refused without building it.
    Strings are cut out first (their brackets do not nest); then every round deletes the
    innermost ``[]`` pairs, one level each, while that shrinks the text quickly; what is
    left is split into its peaks, whose depths a running sum gives.  For text that is not
    JSON the answer does not matter: the parser refuses it anyway.
    """
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    if b"\\" in data:  # escaped backslashes, then escaped quotes
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    if b'"' in data:
        data = b"".join(data.split(b'"')[::2])
    nesting = data.translate(_TO_BRACKETS, _NOT_BRACKETS)
    levels = 0
    while nesting:
        if nesting.count(b"[") + levels <= limit:
            return False
        if levels >= limit:
            return True
        inner = nesting.replace(b"[]", b"")
        levels += 1
        removed = len(nesting) - len(inner)
        nesting = inner
        if removed * 8 < removed + len(inner):  # few leaves: count peaks instead
            break
    if not nesting:
        return False
    # ``nesting`` is now ``[^a0 ]^b0 ][ [^a1 ]^b1 ][ ...``: split at each valley.
    peaks = nesting.split(b"][")
    opens = list(map(bytes.count, peaks, repeat(b"[")))
    changes = map(operator.sub, map(operator.add, opens, opens), map(len, peaks))
    return max(map(operator.add, accumulate(changes, initial=0), opens)) + levels > limit


def parse_document(data: bytes, max_depth: int | None = DEFAULT_MAX_DEPTH) -> Any:
    """Parse UTF-8 JSON ``data`` with the codec in use; ``HTTPError(400)`` if it is not valid.

    Documents nested deeper than ``max_depth`` are refused with 400 too, before parsing.
    """
    if max_depth is not None and _too_deep(
        data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data), max_depth
    ):
        raise HTTPError(400, f"{INVALID_MESSAGE}: nested deeper than {max_depth} levels")
    try:
        return get_codec()[1](data)
    except Exception:  # any parser failure (ValueError, RecursionError, ...) is the client's
        raise HTTPError(400, INVALID_MESSAGE) from None


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
