"""XML-RPC helpers over the request and response (``cherrypy.lib.xmlrpcutil``).

* :func:`process_body` reads the request body and returns ``(params, method_name)``.
* :func:`patched_path` adds a trailing slash and strips a leading ``/RPC2``.
* :func:`respond` sets a ``200 OK`` ``text/xml`` method response (or fault).
* :func:`on_error` turns the exception being handled into a fault response (code 1).

Parsing is hardened compared with CherryPy, which hands the body to ``xmlrpc.client.loads``:
documents with a ``<!DOCTYPE>`` (and so any entity declaration, internal or external) are
refused, external entities are never resolved, and at most :data:`MAX_BODY_SIZE` bytes (or the
``tools.xmlrpc.max_body`` setting) are read.  XML-RPC has no use for any of those.
"""

from __future__ import annotations

import sys
from typing import Any

from cherrypy.plugin import serving

# xmlrpc.client (with http.client, ssl and email) and expat are imported by the functions that
# use them, on the first XML-RPC request, so that importing this module at start-up is cheap.

__all__ = [
    "MAX_BODY_SIZE",
    "UnsafeXMLError",
    "on_error",
    "patched_path",
    "process_body",
    "respond",
    "safe_loads",
]

MAX_BODY_SIZE = 8 * 1024 * 1024
"""Default limit, in bytes, on the XML-RPC request body (``tools.xmlrpc.max_body``)."""


class UnsafeXMLError(ValueError):
    """The XML-RPC document uses a construct refused for safety (DTD, entities)."""


def _refuse(*args: Any) -> Any:
    raise UnsafeXMLError("DTDs and entity declarations are not allowed in XML-RPC")


def safe_loads(data: bytes | str, use_builtin_types: bool = False) -> tuple[tuple[Any, ...], Any]:
    """Parse an XML-RPC request or response into ``(params, method_name)``.

    Like :func:`xmlrpc.client.loads`, but a document that declares a DTD, an entity or refers
    to an external entity raises :class:`UnsafeXMLError`, and faults are returned as
    parameters of a response rather than raised.
    """
    from xml.parsers import expat
    from xmlrpc.client import Unmarshaller

    target = Unmarshaller(use_datetime=False, use_builtin_types=use_builtin_types)
    parser = expat.ParserCreate(None, None)
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse  # type: ignore[assignment]
    parser.StartElementHandler = target.start
    parser.EndElementHandler = target.end
    parser.CharacterDataHandler = target.data
    target.xml(None, None)  # type: ignore[arg-type]
    parser.Parse(data, True)
    return target.close(), target.getmethodname()


def _tool_setting(name: str, default: Any) -> Any:
    toolmaps = getattr(serving.request, "toolmaps", None) or {}
    return toolmaps.get("tools", {}).get("xmlrpc", {}).get(name, default)


def _read_body(limit: int) -> bytes:
    request = serving.request
    data = request.body.read(limit + 1) if limit else request.body.read()
    if isinstance(data, str):
        data = data.encode("utf-8")
    data = data or b""
    if limit and len(data) > limit:
        raise ValueError(f"XML-RPC request body larger than {limit} bytes")
    return data


def process_body() -> tuple[tuple[Any, ...], Any]:
    """Return ``(params, method_name)`` read from the request body.

    A body that cannot be parsed (malformed, unsafe or too large) gives
    ``(("ERROR PARAMS",), "ERRORMETHOD")``, as in CherryPy, so that the controller answers
    with a fault naming an unsupported method.
    """
    try:
        return safe_loads(_read_body(int(_tool_setting("max_body", MAX_BODY_SIZE) or 0)))
    except Exception:
        return ("ERROR PARAMS",), "ERRORMETHOD"


def patched_path(path: str) -> str:
    """Return ``path`` with a trailing slash and without a leading ``/RPC2`` segment."""
    if not path.endswith("/"):
        path += "/"
    if path.startswith("/RPC2/"):
        path = path[5:]
    return path


def _set_response(body: str | bytes) -> None:
    """Answer ``200 OK`` with ``body`` as ``text/xml`` (XML-RPC reports errors as faults)."""
    payload = body.encode("utf-8") if isinstance(body, str) else body
    response = serving.response
    response.status = "200 OK"
    response.body = payload
    response.headers["Content-Type"] = "text/xml"
    # CherryPy counts characters here; the byte count is the right Content-Length.
    response.headers["Content-Length"] = len(payload)


def respond(body: Any, encoding: str = "utf-8", allow_none: int | bool = 0) -> None:
    """Set the response to an XML-RPC method response carrying ``body`` (or a fault)."""
    from xmlrpc.client import Fault, dumps

    params = body if isinstance(body, Fault) else (body,)
    _set_response(
        dumps(params, methodresponse=True, encoding=encoding, allow_none=bool(allow_none))
    )


def on_error(*args: Any, **kwargs: Any) -> None:
    """``request.error_response`` for XML-RPC: a fault (code 1) with the exception's text."""
    from xmlrpc.client import Fault, dumps

    exc = sys.exc_info()[1]
    fault: Fault
    if isinstance(exc, Fault):
        fault = exc
    else:
        fault = Fault(1, str(exc))
    _set_response(dumps(fault))
