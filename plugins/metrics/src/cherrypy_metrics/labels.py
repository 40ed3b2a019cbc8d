"""Bounded label values: what a request is counted under, whatever the client sent.

Every label of the request families comes from a small, fixed or site-defined set:

- ``app``: the mount point of the application (``"/"`` for the root one), or ``"none"`` when
  no application is mounted at the requested path;
- ``method``: one of :data:`METHODS`, else ``"other"``;
- ``status``: the status class, ``"1xx"`` ... ``"5xx"``;
- ``route``: ``request.route``, what the dispatcher matched (the handler's path in the object
  tree or the route template), or ``"unmatched"`` when nothing did.

The raw URL is never a label value.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "LABEL_NAMES",
    "METHODS",
    "NO_APP",
    "UNMATCHED",
    "app_label",
    "label_values",
    "method_label",
    "request_key",
    "status_class",
]

LABEL_NAMES = ("app", "method", "status", "route")
"""The labels of the request families, in order."""

METHODS = {
    name: name
    for name in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT")
}
"""The methods counted under their own name; any other is counted as ``"other"``."""

NO_APP = "none"
"""The ``app`` label of requests for a path no application is mounted at."""

UNMATCHED = "unmatched"
"""The ``route`` label of requests nothing was found for (404 from the dispatcher or tree)."""

_CLASS_OF_BYTE = {str(n).encode(): f"{n}xx" for n in range(1, 6)}
_CLASS_OF_TEXT = {str(n): f"{n}xx" for n in range(1, 6)}


def method_label(method: Any) -> str:
    """``method`` if it is a known method, else ``"other"``."""
    return METHODS.get(method, "other") if isinstance(method, str) else "other"


def app_label(app: Any) -> str:
    """The ``app`` label of a request's application (``request.app``, possibly None)."""
    if app is None:
        return NO_APP
    return getattr(app, "script_name", None) or "/"


def status_class(response: Any, error: BaseException | None = None) -> str:
    """The status class (``"2xx"``...) of a finished response.

    The final status line (``response.output_status``) decides; before finalize the status
    set so far does; a response whose status cannot be read after an escaped error is a
    ``"5xx"``.
    """
    output = getattr(response, "output_status", b"")
    if output:
        found = _CLASS_OF_BYTE.get(output[:1])
        if found is not None:
            return found
    status = getattr(response, "status", None)
    if status is not None and not isinstance(status, bytes):
        found = _CLASS_OF_TEXT.get(str(status).lstrip()[:1])
        if found is not None:
            return found
    return "5xx" if error is not None else "2xx" if status is None else "5xx"


def request_key(
    request: Any, response: Any, error: BaseException | None, app: Any = None
) -> tuple[Any, str, str, Any]:
    """What a finished request is counted under, before the app and route become labels:
    ``(app, method label, status class, request.route)``, ``app`` being ``request.app`` unless
    given (the app object and the route as they are, so that the label strings are worked out
    once per key)."""
    output = getattr(response, "output_status", None)
    status = _CLASS_OF_BYTE.get(output[:1]) if output.__class__ is bytes else None
    method = request.method
    return (
        request.app if app is None else app,
        METHODS.get(method, "other") if isinstance(method, str) else "other",
        status_class(response, error) if status is None else status,
        request.route,
    )


def label_values(key: tuple[Any, str, str, Any]) -> tuple[str, str, str, str]:
    """The label values (:data:`LABEL_NAMES` order) of a :func:`request_key`."""
    app, method, status, route = key
    return (app_label(app), method, status, route if route is not None else UNMATCHED)
