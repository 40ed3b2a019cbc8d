"""``tools.json_out``: serialize what the page handler returns as the JSON response body."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cherrypy.plugin import serving

from .codec import get_codec

__all__ = ["json_handler", "json_out"]


def json_handler(*args: Any, **kwargs: Any) -> list[bytes]:
    """Call the wrapped page handler and return its value encoded as UTF-8 JSON.

    The default ``handler`` of :func:`json_out`; a custom one calls
    ``cherrypy.serving.request.inner_handler(*args, **kwargs)`` the same way (CherryPy's
    ``request._json_inner_handler`` is an alias of it, so CherryPy's custom handlers work).
    """
    value = serving.request.inner_handler(*args, **kwargs)
    return [get_codec()[0](value).encode("utf-8")]


def json_out(
    content_type: str | None = "application/json",
    debug: bool = False,
    handler: Callable[..., Any] = json_handler,
) -> None:
    """Wrap ``request.handler`` so its return value is sent as JSON (``tools.json_out``).

    The page handler moves to ``request.inner_handler`` and ``handler`` takes its place.
    Sets the Content-Type response header to ``content_type`` unless it is None.  Does
    nothing when another tool already answered the request (``request.handler`` is None).
    """
    request = serving.request
    if request.handler is None:
        return
    if debug:
        import cherrypy

        cherrypy.log(f"Replacing {request.handler!r} with JSON handler", "TOOLS.JSON_OUT")
    request.inner_handler = request.handler
    request.handler = handler
    if content_type is not None:
        if debug:
            import cherrypy

            cherrypy.log(f"Setting Content-Type to {content_type}", "TOOLS.JSON_OUT")
        serving.response.headers["Content-Type"] = content_type
